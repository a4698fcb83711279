package dev.skiff.raft;

import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.RaftMessage;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Carries Raft messages between servers (HTTP in production, an in-process network in tests).
 *
 * <p>All Raft RPCs are covered from the start, as one-way messages:
 * <ul>
 *   <li><b>append</b> (and heartbeat), <b>vote</b>, <b>pre-vote</b>
 *       ({@link dev.skiff.raft.message.RequestVote#preVote()}) and <b>timeout-now</b> go
 *       through {@link #send};</li>
 *   <li><b>pipelined append</b>: {@link #send} never waits for earlier messages to be answered,
 *       so a leader keeps several AppendEntries in flight per follower; the Raft core bounds how
 *       many ({@link RaftConfig#maxInflightAppends()});</li>
 *   <li><b>streamed snapshot</b>: {@link #sendSnapshot} streams a stored snapshot's bytes in
 *       chunks with its {@link InstallSnapshot} header, never the whole snapshot in memory;</li>
 *   <li><b>close</b>: {@link #close}.</li>
 * </ul>
 *
 * <p><b>Delivery.</b> Best effort, like a datagram: messages may be lost, delayed, duplicated
 * or reordered, and Raft is correct under all of these. Implementations should keep messages
 * to one peer in order where cheap, and must not let a large append delay heartbeats.
 *
 * <p><b>Threading.</b> All methods are thread-safe. {@link #send} and {@link #sendSnapshot}
 * never block the caller (the Raft loop) and never throw for delivery problems.
 *
 * @see InMemoryTransport
 */
public interface Transport extends AutoCloseable {

    /** The address peers use to reach this server, for example {@code 10.0.0.5:9001}. */
    String localAddress();

    /**
     * Starts delivering inbound messages to {@code handler}. Called once, before any send.
     *
     * @throws IOException if the transport cannot listen
     */
    void start(MessageHandler handler) throws IOException;

    /**
     * Queues a message to the server at {@code targetAddress} and returns at once. Must not
     * throw: a message that cannot be delivered is dropped (and the failure logged or counted).
     */
    void send(String targetAddress, RaftMessage message);

    /**
     * Queues messages to the server at {@code targetAddress} that were produced together (one
     * Ready), in order, as {@link #send} would each; a transport may carry them in fewer
     * requests. Must not throw. The default sends them one by one.
     */
    default void send(String targetAddress, List<RaftMessage> messages) {
        for (RaftMessage message : messages) {
            send(targetAddress, message);
        }
    }

    /**
     * Streams a snapshot to the server at {@code targetAddress}, with its header.
     *
     * <p>Returns at once. The future completes when the receiver has stored the whole snapshot,
     * or fails (it never throws synchronously): with {@link SnapshotRefusedException} if the
     * receiver answered and refused it, else with the delivery problem. The transport closes
     * {@code snapshot} when done.
     * The receiver's verdict arrives later as an
     * {@link dev.skiff.raft.message.InstallSnapshotResponse} message.
     */
    CompletableFuture<Void> sendSnapshot(String targetAddress, InstallSnapshot header, OpenSnapshot snapshot);

    /** Stops listening and sending; pending sends are dropped. Idempotent. */
    @Override
    void close();
}
