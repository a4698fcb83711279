package dev.skiff.api;

import dev.skiff.kv.InvalidSnapshotException;
import dev.skiff.kv.KvSnapshotValidator;
import dev.skiff.raft.Configuration;
import dev.skiff.raft.Raft;
import dev.skiff.raft.RaftState;
import dev.skiff.raft.SnapshotMeta;
import io.undertow.server.HttpServerExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code PUT /v1/snapshot}: restores a user's snapshot into the running cluster, and only a
 * whole, valid one. On the leader the body is first spooled to a file in the upload directory
 * (never held in memory), then validated to its last byte by {@link KvSnapshotValidator}
 * against its {@code Content-Length}; only a snapshot that passes is handed to
 * {@code Raft.restore}, which replicates it as one log entry (so at most
 * {@link Raft#MAX_RESTORE_BYTES}; a bigger one is refused with 413 before it is read). A bad one is answered
 * {@code 400 bad_snapshot} naming what is wrong, and nothing is stored or replicated. A
 * follower forwards the body to the leader as it comes, with its length.
 */
final class SnapshotUpload {

    private static final Logger log = LoggerFactory.getLogger(SnapshotUpload.class);
    private static final String SPOOL_PREFIX = "restore-";
    private static final String SPOOL_SUFFIX = ".snap.part";

    private final ApiContext ctx;
    private final Path uploadDir;

    /**
     * @param uploadDir where bodies are spooled while they are checked; created if missing, and
     *                  emptied of spool files an earlier process left behind
     * @throws UncheckedIOException if the directory cannot be created or cleaned
     */
    SnapshotUpload(ApiContext ctx, Path uploadDir) {
        this.ctx = ctx;
        this.uploadDir = uploadDir;
        try {
            dev.skiff.wal.PrivateFiles.createDirectories(uploadDir);
            try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(uploadDir, SPOOL_PREFIX + "*" + SPOOL_SUFFIX)) {
                for (Path p : leftovers) {
                    Files.deleteIfExists(p);
                    log.info("removed an unfinished snapshot upload file={}", p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the snapshot upload directory " + uploadDir + ": " + e.getMessage(), e);
        }
    }

    /** How long a restore may take, upload to barrier: big snapshots take a while. */
    private Duration restoreTimeout() {
        return ctx.timeout().multipliedBy(6);
    }

    void restore(HttpServerExchange exchange) {
        long declared = exchange.getRequestContentLength();
        if (declared < 0) {
            throw new ApiException(400, "bad_snapshot", "the request has no Content-Length: send the snapshot as a body of "
                    + "known length (skiff snapshot restore FILE, or curl -T FILE) so that it can be checked whole; nothing was changed");
        }
        if (declared > Raft.MAX_RESTORE_BYTES) {
            throw new ApiException(413, "snapshot_too_large", "a snapshot of " + declared + " bytes is larger than a restore into a "
                    + "running cluster takes (" + Raft.MAX_RESTORE_BYTES + " bytes: it is replicated as one log entry); "
                    + "build a new cluster from it with skiff node --restore-from file:///path/to/it instead; nothing was changed");
        }
        // The server-wide body limit is sized for values; a snapshot is as long as it says.
        exchange.setMaxEntitySize(declared);
        exchange.startBlocking();
        if (ctx.raft().state() != RaftState.LEADER) {
            // Longer than the leader allows itself, so that its answer (even a 504) comes back.
            ctx.forwarder().forward(exchange, ctx.raft().leader().orElse(null), exchange::getInputStream, declared,
                    restoreTimeout().plus(ctx.timeout()), true);
            return;
        }
        requireSpace(declared);
        Path spool = null;
        try {
            spool = Files.createTempFile(uploadDir, SPOOL_PREFIX, SPOOL_SUFFIX);
            receive(exchange, spool, declared);
            KvSnapshotValidator.Valid valid = validate(spool, declared);
            SnapshotMeta meta = new SnapshotMeta("upload", valid.appliedIndex(), 0, Configuration.EMPTY, 0, declared, "");
            long index;
            try (InputStream in = Files.newInputStream(spool)) {
                index = ctx.await(ctx.raft().restore(meta, in, restoreTimeout()), true, restoreTimeout());
            }
            log.info("user snapshot restored bytes={} keys={} snapshotAppliedIndex={} restoreIndex={}", declared,
                    valid.entries(), valid.appliedIndex(), index);
            Responses.json(exchange, 200, Map.of("index", index));
        } catch (IOException e) {
            throw new ApiException(500, "internal", "cannot spool the snapshot upload in " + uploadDir + ": " + e.getMessage()
                    + "; nothing was changed");
        } finally {
            deleteQuietly(spool);
        }
    }

    /**
     * Copies the body to {@code spool}, at most {@code declared} bytes (the server reads no more
     * of a fixed-length body). A body that breaks off is refused here; one that ends early, by
     * the validator.
     */
    private static void receive(HttpServerExchange exchange, Path spool, long declared) throws IOException {
        long received = 0;
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = exchange.getInputStream(); OutputStream out = Files.newOutputStream(spool)) {
            while (received < declared) {
                int n;
                try {
                    n = in.read(buffer, 0, (int) Math.min(buffer.length, declared - received));
                } catch (IOException e) {
                    throw refuse(declared, "truncated at byte " + received + " of " + declared
                            + ": the upload broke off (" + e.getMessage() + ")");
                }
                if (n < 0) {
                    return;
                }
                out.write(buffer, 0, n);
                received += n;
            }
        }
    }

    private static KvSnapshotValidator.Valid validate(Path spool, long declared) throws IOException {
        try (InputStream in = Files.newInputStream(spool)) {
            return KvSnapshotValidator.validate(in, declared);
        } catch (InvalidSnapshotException e) {
            throw refuse(declared, e.getMessage());
        }
    }

    private static ApiException refuse(long declared, String problem) {
        log.warn("user snapshot refused bytes={} problem=\"{}\"", declared, problem);
        return new ApiException(400, "bad_snapshot", "not a valid Skiff snapshot: " + problem + ". Nothing was changed; "
                + "restore a complete file written by skiff snapshot save (GET /v1/snapshot)");
    }

    /** A 507 before reading a body the upload directory cannot hold. */
    private void requireSpace(long declared) {
        long usable;
        try {
            usable = Files.getFileStore(uploadDir).getUsableSpace();
        } catch (IOException e) {
            return; // the spool write then fails with the file system's own error
        }
        if (declared > usable) {
            throw new ApiException(507, "insufficient_storage", "the snapshot is " + declared + " bytes and " + uploadDir
                    + " has " + usable + " bytes free: free space on the leader's data disk; nothing was changed");
        }
    }

    private static void deleteQuietly(Path spool) {
        if (spool == null) {
            return;
        }
        try {
            Files.deleteIfExists(spool);
        } catch (IOException e) {
            log.warn("cannot delete the snapshot upload file={} (removed at the next start): {}", spool, e.toString());
        }
    }
}
