package dev.skiff.transport;

import dev.skiff.raft.message.AppendEntries;
import dev.skiff.raft.message.RaftMessage;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers messages to one peer: two bounded lanes, pipelined POSTs, and the peer's health.
 *
 * <p><b>Lanes.</b> AppendEntries that carry entries go on the <em>entries</em> lane; everything
 * else (heartbeats, votes, responses, TimeoutNow) on the <em>control</em> lane. Each lane has
 * its own queue and its own in-flight limit, and each in-flight request holds a connection of
 * its own from the HTTP client's keep-alive pool, so a heartbeat never waits behind a large
 * append or a slow peer's disk. Within a lane messages leave in order; with several in flight
 * they may arrive reordered, which Raft tolerates.
 *
 * <p><b>Batching.</b> A request carries every message waiting in its lane when it starts (up
 * to {@link #MAX_BATCH_MESSAGES} messages and {@link #MAX_BATCH_BYTES} of payload), so under load
 * one HTTP round trip carries many heartbeats, answers or appends instead of one each.
 *
 * <p><b>Bounds.</b> A full queue drops the new message and counts it. Queues only hold what
 * the in-flight limit holds back, so they stay short while the peer keeps up.
 *
 * <p><b>Health.</b> A request that finds the peer down (connection refused or timed out, or
 * no answer within the request timeout) marks the peer unreachable: queued messages are
 * dropped, and new ones are dropped at once until a backoff has passed, exponential from
 * {@code minBackoff} to {@code maxBackoff} with jitter (each pause drawn from [½, 1] × the
 * bound, so peers that failed together do not retry in step). After the pause, the next
 * message is sent alone as a probe; its success makes the peer reachable again. Nothing
 * retries on a timer: probes ride on Raft's own traffic (heartbeats), so a dead peer costs one
 * attempt per backoff and never a spin. Each transition is logged once at INFO; an HTTP error
 * status (say 401 from a wrong secret) is logged at WARN once per change of status.
 *
 * <p>Thread-safe: one lock per peer guards the queues and health; HTTP work runs outside it.
 */
final class PeerChannel {

    private static final Logger log = LoggerFactory.getLogger(PeerChannel.class);
    /** Most messages in one request: enough to absorb a burst, small enough to stay one quick POST. */
    static final int MAX_BATCH_MESSAGES = 128;
    /** Most entry payload bytes in one request (a batch always takes at least one message). */
    static final long MAX_BATCH_BYTES = 4L << 20;

    private final String address;
    private final URI batchUri;
    private final HttpClient client;
    private final Executor executor;
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

    /** Totals shared by all peers of one transport. */
    record Counters(AtomicLong delivered, AtomicLong dropped, AtomicLong failed) {
        Counters() {
            this(new AtomicLong(), new AtomicLong(), new AtomicLong());
        }
    }

    PeerChannel(String address, HostPort target, HttpClient client, Executor executor, HttpTransportConfig config,
                Counters counters) {
        this.address = address;
        this.batchUri = URI.create("http://" + target + RaftRpcHandler.BATCH_PATH);
        this.client = client;
        this.executor = executor;
        this.config = config;
        this.counters = counters;
        this.control = new Lane(config.maxInflightControl());
        this.entries = new Lane(config.maxInflightEntries());
    }

    /** Queues {@code message}, or drops and counts it; never blocks, never throws. */
    void send(RaftMessage message) {
        Lane lane = message instanceof AppendEntries a && !a.entries().isEmpty() ? entries : control;
        synchronized (this) {
            if (closed || inBackoff() || lane.queue.size() >= config.maxQueuedPerLane()) {
                counters.dropped().incrementAndGet();
                return;
            }
            lane.queue.add(message);
        }
        pump(lane);
    }

    /** Drops everything queued; later sends are dropped. In-flight requests finish or fail alone. */
    void close() {
        synchronized (this) {
            closed = true;
            dropQueued();
        }
    }

    private boolean inBackoff() {
        return !reachable && (probeInFlight || System.nanoTime() - retryAtNanos < 0);
    }

    /** Starts as many queued requests as the lane's in-flight limit (or a lone probe) allows. */
    private void pump(Lane lane) {
        while (true) {
            java.util.List<RaftMessage> batch;
            boolean probe = false;
            synchronized (this) {
                if (closed || lane.queue.isEmpty() || lane.inflight >= lane.maxInflight) {
                    return;
                }
                if (!reachable) {
                    if (inBackoff()) {
                        return;
                    }
                    probe = true;
                    probeInFlight = true;
                }
                batch = new java.util.ArrayList<>(Math.min(lane.queue.size(), MAX_BATCH_MESSAGES));
                long bytes = 0;
                while (!lane.queue.isEmpty() && batch.size() < MAX_BATCH_MESSAGES
                        && (batch.isEmpty() || bytes + payloadBytes(lane.queue.peek()) <= MAX_BATCH_BYTES)) {
                    RaftMessage next = lane.queue.poll();
                    bytes += payloadBytes(next);
                    batch.add(next);
                }
                lane.inflight++;
            }
            post(lane, batch, probe);
        }
    }

    private static long payloadBytes(RaftMessage m) {
        if (m instanceof AppendEntries a) {
            long n = 0;
            for (var e : a.entries()) {
                n += e.data().length + 32;
            }
            return n;
        }
        return 64;
    }

    private void post(Lane lane, java.util.List<RaftMessage> batch, boolean probe) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(batchUri)
                    .timeout(config.requestTimeout())
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(MessageCodec.encodeBatch(batch)));
            config.secret().ifPresent(s -> request.header(ClusterSecret.HEADER, s.headerValue()));
            client.sendAsync(request.build(), HttpResponse.BodyHandlers.discarding())
                    .whenCompleteAsync((response, error) -> finished(lane, probe, batch.size(), response, error), executor);
        } catch (RuntimeException e) {
            // An encode failure or a client already shut down: these messages are lost, not the peer.
            finished(lane, probe, batch.size(), null, e);
        }
    }

    private void finished(Lane lane, boolean probe, int messages, HttpResponse<Void> response, Throwable error) {
        boolean delivered = error == null && response.statusCode() / 100 == 2;
        (delivered ? counters.delivered() : counters.failed()).addAndGet(messages);
        synchronized (this) {
            lane.inflight--;
            if (probe) {
                probeInFlight = false;
            }
            if (error == null) {
                becameReachable();
                noteStatus(response.statusCode());
            } else if (probe || (reachable && meansPeerDown(error))) {
                becameUnreachable(error);
            }
        }
        pump(control);
        pump(entries);
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
        boolean ok = status / 100 == 2;
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
     * Not for a reset or closed connection: that also happens to one stale pooled connection of
     * a healthy peer, and the next request, on a fresh connection, tells the truth.
     */
    private static boolean meansPeerDown(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        return cause instanceof ConnectException || cause instanceof HttpTimeoutException
                || cause instanceof UnresolvedAddressException;
    }

    private static String describe(Throwable error) {
        Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (e.getMessage() != null) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        return e.getClass().getSimpleName() + (e.getCause() == null ? "" : " (" + e.getCause().getClass().getSimpleName() + ")");
    }

    /** One queue with its in-flight count; guarded by the owning PeerChannel's lock. */
    private static final class Lane {
        final ArrayDeque<RaftMessage> queue = new ArrayDeque<>();
        final int maxInflight;
        int inflight;

        Lane(int maxInflight) {
            this.maxInflight = maxInflight;
        }
    }
}
