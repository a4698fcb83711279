package dev.skiff.transport;

import dev.skiff.raft.OpenSnapshot;
import dev.skiff.raft.SnapshotRefusedException;
import dev.skiff.raft.message.InstallSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
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

    private final HttpTransportConfig config;
    private final ExecutorService threads;
    private final Set<PeerConnection> active = ConcurrentHashMap.newKeySet();

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
        byte[] encoded = MessageCodec.encode(header);
        byte[] preamble = ByteBuffer.allocate(4 + encoded.length).putInt(encoded.length).put(encoded).array();
        int timeout = (int) Math.min(Integer.MAX_VALUE, config.snapshotTimeout().toMillis());
        PeerConnection connection = new PeerConnection(target, RaftRpcHandler.SNAPSHOT_PATH, config.secret(), config.tls(),
                (int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()), timeout);
        active.add(connection);
        // A socket has no write timeout: a receiver that stops reading would hold this thread
        // forever. Cutting the connection at the deadline unblocks it.
        CompletableFuture.runAsync(() -> {
            if (active.contains(connection)) {
                connection.close();
            }
        }, CompletableFuture.delayedExecutor(timeout, TimeUnit.MILLISECONDS));
        try {
            int status = connection.postStream(RaftRpcHandler.SNAPSHOT_PATH, preamble, data, header.dataBytes(), timeout,
                    "snapshot " + header.meta().id());
            if (status / 100 != 2) {
                throw new SnapshotRefusedException("peer " + target + " refused snapshot " + header.meta().id() + ": HTTP "
                        + status + " " + connection.lastBody());
            }
        } finally {
            active.remove(connection);
            connection.close();
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
        for (PeerConnection connection : active) {
            connection.close();
        }
    }
}
