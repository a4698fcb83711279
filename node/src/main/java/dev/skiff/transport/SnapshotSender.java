package dev.skiff.transport;

import dev.skiff.raft.OpenSnapshot;
import dev.skiff.raft.message.InstallSnapshot;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Streams snapshots to peers: one blocking upload per snapshot on a thread of its own.
 *
 * <p>The request is {@code POST /raft/v1/snapshot} with chunked transfer encoding: a 4-byte
 * length, the {@link MessageCodec}-encoded {@link InstallSnapshot}, then the snapshot's data
 * copied through a {@value #CHUNK_BYTES}-byte buffer, so memory use does not depend on the
 * snapshot's size. The future completes when the receiver answers 2xx (it has stored the
 * snapshot) and fails otherwise, also when the data's length differs from the header's
 * {@code meta.size()} (the body is then aborted, never ended cleanly) or the transfer outlasts
 * {@code snapshotTimeout}.
 *
 * <p>Why a thread and a connection of its own, not the message lanes ({@link PeerConnection}):
 * a snapshot read may block on disk or S3 for a long time, and a message lane held by it would
 * stall that peer's appends and heartbeats. Snapshots are rare, so a thread per transfer costs
 * nothing; {@link HttpURLConnection} streams the chunked body from it.
 *
 * <p>Thread-safe. {@link #close()} aborts transfers in progress.
 */
final class SnapshotSender implements AutoCloseable {

    /** 64 KiB: large enough to stream at disk speed, small enough to never matter for memory. */
    static final int CHUNK_BYTES = 64 * 1024;
    /** How much of a refusal's body to quote in the failure. */
    private static final int MAX_ERROR_BYTES = 1024;

    private final HttpTransportConfig config;
    private final ExecutorService threads;
    private final Set<HttpURLConnection> active = ConcurrentHashMap.newKeySet();

    SnapshotSender(HttpTransportConfig config) {
        this.config = config;
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "skiff-snapshot-send-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts the upload; never throws. Closes {@code snapshot} when done, whatever happens. */
    CompletableFuture<Void> send(HostPort target, InstallSnapshot header, OpenSnapshot snapshot) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            threads.execute(() -> {
                try (snapshot) {
                    upload(target, header, snapshot.data());
                    done.complete(null);
                } catch (Throwable e) {
                    done.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            closeQuietly(snapshot);
            done.completeExceptionally(new IOException("transport is closed", e));
        }
        return done;
    }

    private void upload(HostPort target, InstallSnapshot header, InputStream data) throws IOException {
        URI uri = URI.create("http://" + target + RaftRpcHandler.SNAPSHOT_PATH);
        var connection = (HttpURLConnection) uri.toURL().openConnection(Proxy.NO_PROXY);
        active.add(connection);
        // HttpURLConnection has no write timeout: a receiver that stops reading would hold this
        // thread forever. Cutting the connection at the deadline unblocks it.
        CompletableFuture.runAsync(() -> {
            if (active.contains(connection)) {
                connection.disconnect();
            }
        }, CompletableFuture.delayedExecutor(config.snapshotTimeout().toMillis(), TimeUnit.MILLISECONDS));
        try {
            connection.setRequestMethod("POST");
            connection.setDoOutput(true);
            connection.setChunkedStreamingMode(CHUNK_BYTES);
            connection.setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()));
            connection.setReadTimeout((int) Math.min(Integer.MAX_VALUE, config.snapshotTimeout().toMillis()));
            connection.setRequestProperty("Content-Type", "application/octet-stream");
            config.secret().ifPresent(s -> connection.setRequestProperty(ClusterSecret.HEADER, s.headerValue()));
            byte[] encoded = MessageCodec.encode(header);
            try (OutputStream out = connection.getOutputStream()) {
                var preamble = new DataOutputStream(out);
                preamble.writeInt(encoded.length);
                preamble.write(encoded);
                long expected = header.dataBytes();
                long sent = copy(data, out, expected);
                if (expected >= 0 && sent != expected) {
                    // Abort instead of closing the body: a close would end it cleanly, and the
                    // receiver could take a cut-off (or cut-short) stream for the whole snapshot.
                    connection.disconnect();
                    throw new IOException("snapshot " + header.meta().id() + " has "
                            + (sent > expected ? "more than " + expected : "only " + sent)
                            + " bytes of data, but its header says " + expected);
                }
            }
            int status = connection.getResponseCode();
            if (status / 100 != 2) {
                throw new IOException("peer " + target + " refused snapshot " + header.meta().id() + ": HTTP "
                        + status + " " + errorBody(connection));
            }
        } finally {
            active.remove(connection);
            connection.disconnect();
        }
    }

    /**
     * Copies {@code data} to {@code out} and returns how many bytes it had; stops early, without
     * writing the excess, once it holds more than {@code expected} (when known).
     */
    private static long copy(InputStream data, OutputStream out, long expected) throws IOException {
        byte[] chunk = new byte[CHUNK_BYTES];
        long sent = 0;
        for (int n; (n = data.read(chunk)) >= 0; ) {
            if (expected >= 0 && sent + n > expected) {
                return sent + n;
            }
            out.write(chunk, 0, n);
            sent += n;
        }
        return sent;
    }

    private static String errorBody(HttpURLConnection connection) {
        try (InputStream err = connection.getErrorStream()) {
            return err == null ? "" : new String(err.readNBytes(MAX_ERROR_BYTES), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static void closeQuietly(OpenSnapshot snapshot) {
        try {
            snapshot.close();
        } catch (IOException | RuntimeException ignored) {
            // The transfer is already refused; a close failure adds nothing the caller can act on.
        }
    }

    @Override
    public void close() {
        threads.shutdownNow();
        for (HttpURLConnection connection : active) {
            connection.disconnect();
        }
    }
}
