package dev.skiff.it;

import dev.skiff.it.cluster.HttpReply;
import dev.skiff.it.cluster.NodeClient;
import dev.skiff.it.cluster.NodeProcess;
import dev.skiff.it.linearizability.History;
import dev.skiff.it.linearizability.KvOp;
import dev.skiff.it.linearizability.KvResult;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * One Jepsen-style client: sends random put / get (half {@code consistent}, half {@code
 * default}: both are linearizable by API.md) / CAS / delete / CAS-delete requests on a few keys
 * to random nodes and records each in a {@link History} with the
 * outcome the API promises (API.md §2):
 *
 * <ul>
 *   <li>200, 404 (get), 412 (CAS): a definite result;</li>
 *   <li>503, or a connection refused before anything was sent: failed (surely not applied);</li>
 *   <li>504, a timeout, a connection lost mid-request: unknown (maybe applied);</li>
 *   <li>anything else: unknown, and counted as unexpected (the test fails on it).</li>
 * </ul>
 *
 * Values are unique ({@code c<client>-<n>}). Runs on its own (virtual) thread until stopped.
 * {@link #send} also sends lock acquire / release ({@code 200 true|false} definite), which
 * {@link CoordinationClient} uses; this client's own random choice never makes them.
 */
final class RecordingClient implements Runnable {

    /**
     * Longer than the nemesis' longest pause (4 s), so that a read sent to a paused leader is
     * answered after it resumes, the moment a stale lease would show; shorter than the node's
     * own 10 s, so that a request the node holds that long is recorded as unknown.
     */
    static final Duration TIMEOUT = Duration.ofSeconds(6);

    private final int id;
    private final List<NodeProcess> nodes;
    private final List<String> keys;
    private final History history;
    private final AtomicBoolean stop;
    private final SplittableRandom random;
    private final Counts counts;
    /** The modifyIndex this client last saw per key: CAS requests expect it, so some succeed. */
    private final Map<String, Long> lastSeen = new HashMap<>();
    private int sequence;

    /** Totals shared by all clients. */
    static final class Counts {
        final LongAdder ok = new LongAdder();
        final LongAdder failed = new LongAdder();
        final LongAdder unknown = new LongAdder();
        final LongAdder defaultReads = new LongAdder();
        final LongAdder consistentReads = new LongAdder();
        final Queue<String> unexpected = new ConcurrentLinkedQueue<>();
    }

    RecordingClient(int id, List<NodeProcess> nodes, List<String> keys, History history, AtomicBoolean stop, long seed,
                    Counts counts) {
        this.id = id;
        this.nodes = nodes;
        this.keys = keys;
        this.history = history;
        this.stop = stop;
        this.random = new SplittableRandom(seed);
        this.counts = counts;
    }

    @Override
    public void run() {
        while (!stop.get()) {
            NodeClient node = nodes.get(random.nextInt(nodes.size())).client().withTimeout(TIMEOUT);
            if (!step(node, randomOp())) {
                // A node that is down or stuck: a short pause keeps this client from spinning on it.
                LockSupport.parkNanos(Duration.ofMillis(20 + random.nextInt(80)).toNanos());
            }
        }
    }

    private KvOp randomOp() {
        String key = keys.get(random.nextInt(keys.size()));
        double p = random.nextDouble();
        long seen = lastSeen.getOrDefault(key, 0L);
        if (p < 0.35) {
            return new KvOp.Get(key);
        } else if (p < 0.60) {
            return new KvOp.Put(key, nextValue());
        } else if (p < 0.85) {
            return new KvOp.Cas(key, random.nextInt(5) == 0 ? 0 : seen, nextValue());
        } else if (p < 0.93 || seen == 0) {
            return new KvOp.Delete(key);
        } else {
            return new KvOp.CasDelete(key, seen);
        }
    }

    private String nextValue() {
        return "c" + id + "-" + sequence++;
    }

    private String readMode() {
        if (random.nextBoolean()) {
            counts.defaultReads.increment();
            return "default";
        }
        counts.consistentReads.increment();
        return "consistent";
    }

    /** Sends one request and records it; false if it got no definite answer. */
    boolean step(NodeClient node, KvOp op) {
        return send(node, op) != null;
    }

    /** Sends one request and records it; its definite result, or null if it got none. */
    KvResult send(NodeClient node, KvOp op) {
        History.Pending call = history.invoke(id, op);
        HttpReply reply;
        try {
            reply = switch (op) {
                case KvOp.Get g -> node.get(g.key(), readMode());
                case KvOp.Put p -> node.put(p.key(), p.value());
                case KvOp.Cas c -> node.cas(c.key(), c.expectedModifyIndex(), c.value());
                case KvOp.Delete d -> node.delete(d.key());
                case KvOp.CasDelete d -> node.casDelete(d.key(), d.expectedModifyIndex());
                case KvOp.Acquire a -> node.acquire(a.key(), a.session(), a.value());
                case KvOp.Release r -> node.release(r.key(), r.session(), r.value());
            };
        } catch (UncheckedIOException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ConnectException && !(cause instanceof HttpTimeoutException)) {
                call.failed("connection refused");
                counts.failed.increment();
            } else {
                call.unknown(cause instanceof HttpTimeoutException ? "timeout" : cause.getClass().getSimpleName());
                counts.unknown.increment();
            }
            return null;
        }
        KvResult result = definite(op, reply);
        if (result != null) {
            call.ok(result);
            counts.ok.increment();
            remember(op.key(), result);
            return result;
        }
        if (reply.status() == 503) {
            call.failed("503");
            counts.failed.increment();
        } else {
            call.unknown(Integer.toString(reply.status()));
            counts.unknown.increment();
            if (reply.status() != 504) {
                counts.unexpected.add(op + " via " + node.baseUrl() + " -> " + reply);
            }
        }
        return null;
    }

    /** The definite result the reply carries, or null if it carries none. */
    private static KvResult definite(KvOp op, HttpReply reply) {
        int status = reply.status();
        return switch (op) {
            case KvOp.Get g -> status == 200
                    ? new KvResult.Found(reply.text(), reply.longHeader("X-Skiff-Modify-Index").orElseThrow())
                    : status == 404 && "not_found".equals(reply.json().path("code").asText()) ? new KvResult.NotFound() : null;
            case KvOp.Put p -> status == 200 ? new KvResult.Written(reply.json().path("index").asLong()) : null;
            case KvOp.Cas c -> status == 200 ? new KvResult.Written(reply.json().path("index").asLong())
                    : status == 412 ? new KvResult.Mismatch(reply.json().path("modifyIndex").asLong()) : null;
            case KvOp.Delete d -> status == 200
                    ? new KvResult.Deletion(reply.json().path("index").asLong(), reply.json().path("deleted").asBoolean()) : null;
            case KvOp.CasDelete d -> status == 200
                    ? new KvResult.Deletion(reply.json().path("index").asLong(), reply.json().path("deleted").asBoolean())
                    : status == 412 ? new KvResult.Mismatch(reply.json().path("modifyIndex").asLong()) : null;
            case KvOp.Acquire a -> lockResult(reply);
            case KvOp.Release r -> lockResult(reply);
        };
    }

    /** {@code 200 true|false}; anything else, even a 200 with another body, carries no definite result. */
    private static KvResult lockResult(HttpReply reply) {
        return reply.status() == 200 && reply.body().length > 0 && reply.json().isBoolean()
                ? new KvResult.LockResult(reply.json().booleanValue()) : null;
    }

    private void remember(String key, KvResult result) {
        switch (result) {
            case KvResult.Written w -> lastSeen.put(key, w.index());
            case KvResult.Found f -> lastSeen.put(key, f.modifyIndex());
            case KvResult.Mismatch m -> lastSeen.put(key, m.currentModifyIndex());
            case KvResult.NotFound n -> lastSeen.put(key, 0L);
            case KvResult.Deletion d -> lastSeen.put(key, d.deleted() ? 0L : lastSeen.getOrDefault(key, 0L));
            // No index in the answer; the next read or 412 of the key tells the new one.
            case KvResult.LockResult l -> { }
        }
    }
}
