package dev.skiff.transport;

import dev.skiff.raft.message.AppendEntries;
import dev.skiff.raft.message.ForwardedProposals;
import dev.skiff.raft.message.RaftMessage;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers messages to one peer: two bounded lanes, each with one message stream, and the
 * peer's health.
 *
 * <p><b>Lanes.</b> AppendEntries that carry entries, and commands a follower forwards to the
 * leader, go on the <em>entries</em> lane; everything else (heartbeats, votes, responses,
 * TimeoutNow, read-index requests) on the <em>control</em> lane. Each lane has its own queue
 * and its own connection, so a heartbeat never waits behind a large append or a slow peer's
 * disk. Within a lane messages leave in order. A batch that starts on the entries lane with a
 * small payload (up to {@link #MAX_CARRIED_ENTRY_BYTES}) also takes the control messages
 * waiting at that moment, so that the messages of one Raft step to one peer
 * ({@link #send(List)}: a leader's append and its answer to a forwarded batch; a follower's
 * answer and the commands it forwards) usually leave as one frame: a control message never
 * waits for that, it only travels sooner.
 *
 * <p><b>Streams.</b> A lane's {@link Sender} is a platform thread with one
 * {@link PeerConnection} on which it keeps a message stream open ({@link
 * RaftRpcHandler#STREAM_PATH}): each batch is one frame, written in one system call, and the
 * peer answers none of them, so a batch costs one write and the receiver one read, with no
 * answer to wait for. Without TLS, while the lane's stream is open and idle, the thread that
 * queues a batch (the raft loop) writes it itself without blocking ({@link #writeHere}); the
 * sender thread opens streams, sends probes and POSTs, and writes what a full socket buffer
 * left over. With TLS the sender writes every batch. A peer that refuses streams with 404 (a
 * node of a version before them, during a rolling upgrade) gets each batch as a POST of its
 * own instead, and streams are tried again after {@link #LEGACY_RETRY_NANOS}.
 *
 * <p><b>Batching.</b> A batch carries every message waiting in its lane when the lane is
 * free again (up to {@link #MAX_BATCH_MESSAGES} messages and {@link #MAX_BATCH_BYTES} of
 * payload), so under load one frame carries many heartbeats, answers or appends instead of one
 * each. The batch is taken on the thread that queues or finishes, so which messages travel
 * together does not depend on thread scheduling.
 *
 * <p><b>Bounds.</b> A full queue drops the new message and counts it. Queues only hold what
 * arrives while the lane's sender writes, so they stay short while the peer keeps up.
 *
 * <p><b>Health.</b> A peer that cannot be reached (connection refused or timed out), or that
 * stops taking data (a write blocked longer than the request timeout: {@link
 * #watch}), is marked unreachable: queued messages are dropped, and new ones are
 * dropped at once until a backoff has passed, exponential from {@code minBackoff} to {@code
 * maxBackoff} with jitter (each pause drawn from [½, 1] × the bound, so peers that failed
 * together do not retry in step). After the pause, the next message is sent alone as a probe;
 * its success makes the peer reachable again. Nothing retries on a timer: probes ride on Raft's
 * own traffic (heartbeats), so a dead peer costs one attempt per backoff and never a spin. A
 * stream that breaks (the peer restarted) is opened again for the next batch; what was written
 * into the broken one is lost, which Raft tolerates. Each transition is logged once at INFO; an
 * HTTP error status (say 401 from a wrong secret) is logged at WARN once per change of status.
 *
 * <p>Thread-safe: one lock per peer guards the queues, the senders' hand-over and health;
 * network work runs outside it.
 */
final class PeerChannel {

    private static final Logger log = LoggerFactory.getLogger(PeerChannel.class);
    /** Most messages in one batch: enough to absorb a burst, small enough to stay one quick write. */
    static final int MAX_BATCH_MESSAGES = 128;
    /** Most entry payload bytes in one batch (a batch always takes at least one message). */
    static final long MAX_BATCH_BYTES = 4L << 20;
    /** Most entry payload bytes in a batch that also carries the control messages waiting (see {@link #pump}). */
    static final long MAX_CARRIED_ENTRY_BYTES = 64L << 10;
    /** How long a peer that refused streams (an older version) gets POSTs before a stream is tried again. */
    static final long LEGACY_RETRY_NANOS = 60_000_000_000L;
    /**
     * A stream that has carried nothing for this long is closed (see {@link #watch}); the next
     * batch opens another.
     */
    static final long IDLE_STREAM_NANOS = 60_000_000_000L;
    /**
     * A channel that has been given nothing to send for this long is closed with its threads
     * (see {@link #closeIfIdle}): a member removed from the cluster leaves none behind on the
     * others. Long enough that a channel in use, even one used only for elections, is rarely
     * closed; the next message opens another.
     */
    static final long IDLE_CHANNEL_NANOS = 10 * 60_000_000_000L;

    private final String address;
    private final HostPort target;
    private final HttpTransportConfig config;
    private final Counters counters;
    private final Lane control;
    private final Lane entries;

    // Guarded by this.
    private boolean reachable = true;
    private boolean probeInFlight;
    private int consecutiveFailures;
    private long retryAtNanos;
    private int lastErrorStatus;
    private boolean closed;
    private long lastSendNanos = System.nanoTime();

    /** Totals shared by all peers of one transport. */
    record Counters(AtomicLong delivered, AtomicLong dropped, AtomicLong failed, AtomicLong batches) {
        Counters() {
            this(new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong());
        }
    }

    PeerChannel(String address, HostPort target, HttpTransportConfig config, Counters counters) {
        this.address = address;
        this.target = target;
        this.config = config;
        this.counters = counters;
        this.control = new Lane("control");
        this.entries = new Lane("entries");
    }

    /**
     * Queues messages produced together (dropping and counting what does not fit), then hands
     * them to the senders: the entries lane first, so that a batch starting there takes the
     * control messages along (see {@link #pump}). Never blocks, never throws.
     *
     * @return false, with nothing queued, if this channel is closed
     */
    boolean send(List<RaftMessage> messages) {
        synchronized (this) {
            if (closed) {
                return false;
            }
            lastSendNanos = System.nanoTime();
            for (RaftMessage message : messages) {
                queue(message);
            }
            pump(entries);
            pump(control);
            return true;
        }
    }

    private Lane laneOf(RaftMessage message) {
        // Forwarded commands may be as large as entries: they must not hold up heartbeats either.
        return message instanceof AppendEntries a && !a.entries().isEmpty() || message instanceof ForwardedProposals
                ? entries : control;
    }

    // Guarded by this.
    private void queue(RaftMessage message) {
        Lane lane = laneOf(message);
        if (closed || inBackoff() || lane.queue.size() >= config.maxQueuedPerLane()) {
            counters.dropped().incrementAndGet();
            return;
        }
        lane.queue.add(message);
    }

    /** Drops everything queued; later sends are dropped. Requests in progress are aborted. */
    void close() {
        List<Sender> senders;
        synchronized (this) {
            senders = markClosed();
        }
        stop(senders);
    }

    /** Marks this channel closed and drops what is queued; returns the senders to stop. Guarded by this. */
    private List<Sender> markClosed() {
        closed = true;
        dropQueued();
        List<Sender> senders = new ArrayList<>(2);
        for (Lane lane : List.of(control, entries)) {
            if (lane.sender != null) {
                senders.add(lane.sender);
            }
        }
        return senders;
    }

    private static void stop(List<Sender> senders) {
        for (Sender s : senders) {
            s.connection.close();
            LockSupport.unpark(s.thread);
        }
    }

    /**
     * Closes this channel if it has been given nothing to send for {@link #IDLE_CHANNEL_NANOS}
     * before {@code nowNanos} and has nothing queued or in flight; its sender threads then end.
     * Called by the transport's watchdog, which then forgets it.
     *
     * @return whether it closed
     */
    boolean closeIfIdle(long nowNanos) {
        List<Sender> senders;
        // Checked and closed under one lock: a send after the check finds the channel closed
        // and goes to a new one (HttpTransport retries), none is queued here and dropped.
        synchronized (this) {
            if (closed || nowNanos - lastSendNanos < IDLE_CHANNEL_NANOS || control.busy || entries.busy
                    || !control.queue.isEmpty() || !entries.queue.isEmpty()) {
                return false;
            }
            senders = markClosed();
        }
        stop(senders);
        return true;
    }

    /**
     * Called periodically by the transport's watchdog. Aborts a write that has been blocked
     * longer than the request timeout: the peer stopped reading (hung, or its link is gone
     * without a reset), so its socket buffer is full; the sender's write fails and the peer
     * counts as unreachable. Closes a stream idle for {@link #IDLE_STREAM_NANOS}: a member
     * removed from the cluster does not keep a connection (and the receiver's exchange) on each
     * old peer, and a connection the network may have dropped silently is not trusted with the
     * next batch.
     */
    void watch(long nowNanos) {
        for (Lane lane : List.of(control, entries)) {
            Sender s;
            synchronized (this) {
                s = lane.sender;
                if (s != null && !lane.busy && nowNanos - s.lastWriteNanos > IDLE_STREAM_NANOS
                        && s.connection.streaming()) {
                    // Not busy: the sender waits for a batch under this lock's hand-over, so the
                    // connection is not in use.
                    s.connection.drop();
                }
            }
            long since = s == null ? 0 : s.writingSinceNanos;
            if (since != 0 && nowNanos - since > config.requestTimeout().toNanos()) {
                s.stalled = true;
                s.connection.abort();
            }
        }
    }

    // Guarded by this.
    private boolean inBackoff() {
        return !reachable && (probeInFlight || System.nanoTime() - retryAtNanos < 0);
    }

    /**
     * Sends the lane's queued messages if it is free: on this thread when the lane's stream can be
     * written without blocking (see {@link #writeHere}), else by handing them to its sender (or
     * starting it).
     */
    // Guarded by this.
    private void pump(Lane lane) {
        while (!closed && !lane.queue.isEmpty() && !lane.busy) {
            boolean probe = false;
            if (!reachable) {
                if (inBackoff()) {
                    return;
                }
                probe = true;
                probeInFlight = true;
            }
            List<RaftMessage> batch = new ArrayList<>(Math.min(lane.queue.size(), MAX_BATCH_MESSAGES));
            long bytes = 0;
            while (!lane.queue.isEmpty() && batch.size() < MAX_BATCH_MESSAGES
                    && (batch.isEmpty() || bytes + payloadBytes(lane.queue.peek()) <= MAX_BATCH_BYTES)) {
                RaftMessage next = lane.queue.poll();
                bytes += payloadBytes(next);
                batch.add(next);
            }
            if (lane == entries && bytes <= MAX_CARRIED_ENTRY_BYTES) {
                // Control messages waiting now leave with a small append rather than in a frame of
                // their own: one write instead of two, and they wait for nothing. Behind a large
                // append they would wait for its bytes, so they keep their own lane then.
                while (!control.queue.isEmpty() && batch.size() < MAX_BATCH_MESSAGES) {
                    batch.add(control.queue.poll());
                }
            }
            Sender sender = lane.sender;
            if (!probe && sender != null && sender.postUntilNanos == 0 && sender.connection.writesWithoutBlocking()) {
                writeHere(sender, batch);
                continue;
            }
            lane.busy = true;
            if (sender == null) {
                sender = new Sender(lane);
                lane.sender = sender;
                sender.batch = batch;
                sender.probe = probe;
                sender.thread.start();
            } else {
                sender.batch = batch;
                sender.probe = probe;
                LockSupport.unpark(sender.thread);
            }
            return;
        }
    }

    /**
     * Writes a batch on the thread that queued it (the raft loop, mostly), on the lane's open
     * stream, without blocking: handing each batch to the sender thread cost a wake-up and a
     * context switch on both sides, about as much CPU as the write itself. If the socket does not
     * take the whole frame (its buffer is full: the peer is slow or stopped reading), the rest
     * goes to the sender, which may wait for it; the lane is busy until then. A write that fails
     * is booked like the sender's (the stream is closed, and the next batch goes to the sender,
     * which opens another).
     */
    // Guarded by this.
    private void writeHere(Sender sender, List<RaftMessage> batch) {
        counters.batches().incrementAndGet();
        ByteBuffer rest;
        try {
            byte[] frame = MessageCodec.encodeBatch(batch, PeerConnection.FRAME_HEADROOM, PeerConnection.FRAME_TAILROOM);
            rest = sender.connection.tryWriteFrame(frame,
                    frame.length - PeerConnection.FRAME_HEADROOM - PeerConnection.FRAME_TAILROOM);
        } catch (IOException | RuntimeException e) {
            booked(sender, false, batch.size(), 0, e);
            return;
        }
        if (rest == null) {
            booked(sender, false, batch.size(), 0, null);
            return;
        }
        sender.lane.busy = true;
        sender.rest = rest;
        sender.restMessages = batch.size();
        LockSupport.unpark(sender.thread);
    }


    private static long payloadBytes(RaftMessage m) {
        if (m instanceof AppendEntries a) {
            long n = 0;
            for (var e : a.entries()) {
                n += e.data().length + 32;
            }
            return n;
        }
        if (m instanceof ForwardedProposals p) {
            long n = 0;
            for (byte[] command : p.commands()) {
                n += command.length + 8;
            }
            return n;
        }
        return 64;
    }

    /** One sender's life: wait for a batch, write it, report, repeat until the channel closes. */
    private void runSender(Sender sender) {
        try {
            while (true) {
                List<RaftMessage> batch;
                boolean probe;
                ByteBuffer rest;
                synchronized (this) {
                    if (closed) {
                        return;
                    }
                    batch = sender.batch;
                    probe = sender.probe;
                    rest = sender.rest;
                    sender.batch = null;
                    sender.rest = null;
                }
                if (rest != null) {
                    finishFrame(sender, rest);
                } else if (batch == null) {
                    LockSupport.park(this);
                } else {
                    write(sender, batch, probe);
                }
            }
        } finally {
            sender.connection.close();
        }
    }

    /** Writes one batch and books the outcome. */
    private void write(Sender sender, List<RaftMessage> batch, boolean probe) {
        counters.batches().incrementAndGet();
        writeWatched(sender, probe, batch.size(), () -> writeBatch(sender, batch));
    }

    /** Writes the rest of a frame that {@link #writeHere} began, and books the outcome. */
    private void finishFrame(Sender sender, ByteBuffer rest) {
        writeWatched(sender, false, sender.restMessages, () -> {
            sender.connection.finishFrame(rest);
            return 0;
        });
    }

    /** A write on the sender thread that may block; returns as {@link #writeBatch} does. */
    private interface BlockingWrite {
        int run() throws IOException;
    }

    /** Runs a write that may block where {@link #watch} can cut it off, then books its outcome. */
    private void writeWatched(Sender sender, boolean probe, int messages, BlockingWrite write) {
        int status = 0;
        Throwable error = null;
        sender.writingSinceNanos = System.nanoTime();
        try {
            status = write.run();
        } catch (IOException | RuntimeException e) {
            // A RuntimeException is an encode failure: these messages are lost, not the peer.
            error = sender.stalled ? new SocketTimeoutException("raft peer " + address + " took no data for "
                    + config.requestTimeout().toMillis() + " ms") : e;
        } finally {
            sender.writingSinceNanos = 0;
            sender.stalled = false;
        }
        finished(sender, probe, messages, status, error);
    }

    /**
     * A frame on the lane's stream (opened first if need be), or a POST to a peer without
     * streams.
     *
     * @return 0 for a frame written, else the HTTP status the peer answered
     */
    private int writeBatch(Sender sender, List<RaftMessage> batch) throws IOException {
        if (sender.postUntilNanos != 0 && System.nanoTime() - sender.postUntilNanos < 0) {
            return sender.connection.post(MessageCodec.encodeBatch(batch));
        }
        if (!sender.connection.streaming()) {
            try {
                sender.connection.openStream(RaftRpcHandler.STREAM_PATH);
            } catch (StreamRefusedException e) {
                if (e.status() != 404) {
                    return e.status();
                }
                if (sender.postUntilNanos == 0) {
                    log.info("raft peer {} does not take message streams (a version before them): sending it "
                            + "requests instead", address);
                }
                sender.postUntilNanos = System.nanoTime() + LEGACY_RETRY_NANOS;
                return writeBatch(sender, batch);
            }
        }
        byte[] frame = MessageCodec.encodeBatch(batch, PeerConnection.FRAME_HEADROOM, PeerConnection.FRAME_TAILROOM);
        sender.connection.writeFrame(frame, frame.length - PeerConnection.FRAME_HEADROOM - PeerConnection.FRAME_TAILROOM);
        return 0;
    }

    /**
     * Books a batch's outcome. {@code status} is 0 for a frame written to a stream (which the
     * peer does not answer), else the HTTP status the peer answered.
     */
    private void finished(Sender sender, boolean probe, int messages, int status, Throwable error) {
        synchronized (this) {
            sender.lane.busy = false;
            booked(sender, probe, messages, status, error);
            pump(control);
            pump(entries);
        }
    }

    /** Counts a batch's messages as delivered or failed and updates the peer's health. */
    // Guarded by this.
    private void booked(Sender sender, boolean probe, int messages, int status, Throwable error) {
        boolean delivered = error == null && (status == 0 || status / 100 == 2);
        (delivered ? counters.delivered() : counters.failed()).addAndGet(messages);
        sender.lastWriteNanos = System.nanoTime();
        if (probe) {
            probeInFlight = false;
        }
        if (error == null) {
            becameReachable();
            noteStatus(status);
        } else if (probe || (reachable && meansPeerDown(error))) {
            becameUnreachable(error);
        }
    }

    // Guarded by this.
    private void becameReachable() {
        if (!reachable) {
            reachable = true;
            log.info("raft peer {} is reachable again after {} failed attempts", address, consecutiveFailures);
        }
        consecutiveFailures = 0;
    }

    // Guarded by this.
    private void becameUnreachable(Throwable error) {
        if (closed) {
            return;
        }
        consecutiveFailures++;
        long backoff = backoffNanos(consecutiveFailures);
        retryAtNanos = System.nanoTime() + backoff;
        if (reachable) {
            reachable = false;
            log.info("raft peer {} is unreachable ({}); retrying with backoff up to {} ms", address,
                    describe(error), config.maxBackoff().toMillis());
        }
        dropQueued();
    }

    // Guarded by this.
    private void noteStatus(int status) {
        boolean ok = status == 0 || status / 100 == 2;
        if (!ok && status != lastErrorStatus) {
            log.warn("raft peer {} refuses messages with HTTP {}{}", address, status,
                    status == 401 ? " (cluster secret differs)" : "");
        } else if (ok && lastErrorStatus != 0) {
            log.info("raft peer {} accepts messages again", address);
        }
        lastErrorStatus = ok ? 0 : status;
    }

    // Guarded by this.
    private void dropQueued() {
        counters.dropped().addAndGet(control.queue.size() + entries.queue.size());
        control.queue.clear();
        entries.queue.clear();
    }

    private long backoffNanos(int failures) {
        long bound = backoffBoundNanos(config, failures);
        return bound / 2 + ThreadLocalRandom.current().nextLong(bound / 2 + 1);
    }

    /** The upper bound of the pause after {@code failures} consecutive failures: min × 2^(failures-1), capped. */
    static long backoffBoundNanos(HttpTransportConfig config, int failures) {
        long max = config.maxBackoff().toNanos();
        long bound = config.minBackoff().toNanos();
        for (int i = 1; i < failures && bound < max; i++) {
            bound *= 2;
        }
        return Math.min(bound, max);
    }

    /**
     * True for failures that say the peer is down or hung (refused, unresolvable, timed out).
     * Not for a reset or closed connection: that also happens to one stale kept-alive connection
     * of a healthy peer, and the next request, on a fresh connection, tells the truth.
     */
    private static boolean meansPeerDown(Throwable error) {
        return error instanceof ConnectException || error instanceof SocketTimeoutException
                || error instanceof UnknownHostException || error instanceof NoRouteToHostException;
    }

    private static String describe(Throwable e) {
        if (e.getMessage() != null) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        return e.getClass().getSimpleName() + (e.getCause() == null ? "" : " (" + e.getCause().getClass().getSimpleName() + ")");
    }

    /** One queue and its sender; guarded by the owning PeerChannel's lock. */
    private static final class Lane {
        final String name;
        final ArrayDeque<RaftMessage> queue = new ArrayDeque<>();
        /** Started with the lane's first batch. */
        Sender sender;
        /** Whether the sender has a batch to write. */
        boolean busy;

        Lane(String name) {
            this.name = name;
        }
    }

    /** A thread with its connection; {@code batch} is handed over under the channel's lock, then the thread unparked. */
    private final class Sender {
        final Lane lane;
        final PeerConnection connection;
        final Thread thread;
        // Guarded by PeerChannel.this.
        List<RaftMessage> batch;
        boolean probe;
        /** When the write in progress started, or 0; read by {@link #watch}. */
        volatile long writingSinceNanos;
        /** Set by {@link #watch} before it aborts the connection. */
        volatile boolean stalled;
        /** When the last batch was written. Guarded by PeerChannel.this. */
        long lastWriteNanos;
        /**
         * Until when batches go as POSTs (a peer without streams); 0 if never. Written by the
         * sender thread while its lane is busy, read under the channel's lock.
         */
        long postUntilNanos;
        /** The rest of a frame {@link #writeHere} began, for this thread to write; guarded by PeerChannel.this. */
        ByteBuffer rest;
        /** How many messages {@link #rest}'s frame carries. */
        int restMessages;

        Sender(Lane lane) {
            this.lane = lane;
            this.connection = new PeerConnection(target, RaftRpcHandler.BATCH_PATH, config.secret(), config.tls(),
                    (int) config.connectTimeout().toMillis(), (int) config.requestTimeout().toMillis());
            this.thread = Thread.ofPlatform().daemon().name("skiff-raft-send-" + address + "-" + lane.name)
                    .unstarted(() -> runSender(this));
        }
    }
}
