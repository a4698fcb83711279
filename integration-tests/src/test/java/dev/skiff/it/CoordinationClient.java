package dev.skiff.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skiff.it.cluster.HttpReply;
import dev.skiff.it.cluster.NodeClient;
import dev.skiff.it.cluster.NodeProcess;
import dev.skiff.it.linearizability.History;
import dev.skiff.it.linearizability.KvOp;
import dev.skiff.it.linearizability.KvResult;
import dev.skiff.it.linearizability.Operation;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * One Jepsen-style client of the coordination API (API.md §8): multi-key transactions on
 * groups of keys and lock acquire / release on lock keys, sent to random nodes and recorded in
 * a {@link History}.
 *
 * <p><b>Transactions.</b> The keys of a group ({@code t0/a}, {@code t0/b}) are only ever touched
 * by transactions that write the same value to both or read both, so the group behaves as one
 * register, recorded under the group's name ({@code t0}) with the register requests the checker
 * knows; the {@code modifyIndex} of the register is that of {@code t0/a} (a transaction's puts
 * all get its entry's index, which its answer's {@code index} is):
 * <ul>
 *   <li>write with {@code compare: t0/a modifyIndex M}, {@code success: put both}, {@code
 *       failure: get t0/a} → {@link KvOp.Cas}: succeeded = written at {@code index}; not = a
 *       mismatch reporting {@code t0/a}'s modifyIndex from the failure branch's get (0: absent);
 *   <li>write without compare → {@link KvOp.Put}; delete of both → {@link KvOp.Delete};
 *   <li>{@code get} of both → {@link KvOp.Get}: found (value, modifyIndex) or 404.
 * </ul>
 * A read that sees the two keys differ (other values or indexes, one present and one not), or a
 * delete that removed only one, is an atomicity violation by itself: it is listed in {@link
 * Counts#atomicity} and recorded as unknown (so the checker drops it). Every transaction is one
 * Raft entry and the endpoint takes no consistency mode, so reads are sent plainly.
 *
 * <p><b>Locks.</b> The client creates its own session first (no TTL: it never expires, so no
 * lock delay ever applies; retried until a node answers, and not recorded), then sends acquire
 * (a unique value), release (also a unique value: a release writes its body, as Consul's does),
 * plain puts (which keep the holder) and gets ({@code default} or {@code consistent}) on the
 * lock keys through {@link RecordingClient#step}. Lock keys are never deleted. It releases what
 * it holds, or may hold after an unknown outcome, before long, so that the locks change hands.
 *
 * <p>Outcomes as in {@link RecordingClient}: 200 definite; 503 or a refused connection failed;
 * 504, timeouts and lost connections unknown; anything else unknown and unexpected.
 */
final class CoordinationClient implements Runnable {

    /** The transaction groups; each is one register of the history. */
    static final List<String> GROUPS = List.of("t0", "t1");
    /** The lock keys. */
    static final List<String> LOCKS = List.of("l0", "l1");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final int id;
    private final List<NodeProcess> nodes;
    private final History history;
    private final AtomicBoolean stop;
    private final SplittableRandom random;
    private final RecordingClient.Counts counts;
    private final Counts coordination;
    /** Sends and records the single-key requests (lock keys), with the same client id. */
    private final RecordingClient single;
    /** The modifyIndex of each group this client last saw: its CAS writes expect it, so some succeed. */
    private final Map<String, Long> lastSeen = new HashMap<>();
    /** Lock keys this client holds, or may hold after an unknown outcome. */
    private final Set<String> mayHold = new HashSet<>();
    private String session;
    private int sequence;

    /** Totals of the coordination requests, shared by all clients. */
    static final class Counts {
        final LongAdder txnWritesCommitted = new LongAdder();
        final LongAdder txnWritesRefused = new LongAdder();
        final LongAdder txnReads = new LongAdder();
        final LongAdder acquired = new LongAdder();
        final LongAdder acquireRefused = new LongAdder();
        final LongAdder released = new LongAdder();
        final LongAdder releaseRefused = new LongAdder();
        /** Transaction answers that broke atomicity on their own, described. */
        final Queue<String> atomicity = new ConcurrentLinkedQueue<>();
    }

    CoordinationClient(int id, List<NodeProcess> nodes, History history, AtomicBoolean stop, long seed,
                       RecordingClient.Counts counts, Counts coordination) {
        this.id = id;
        this.nodes = nodes;
        this.history = history;
        this.stop = stop;
        this.random = new SplittableRandom(seed);
        this.counts = counts;
        this.coordination = coordination;
        this.single = new RecordingClient(id, nodes, LOCKS, history, stop, seed, counts);
    }

    @Override
    public void run() {
        session = createSession();
        while (session != null && !stop.get()) {
            NodeClient node = randomNode();
            boolean definite = random.nextBoolean() ? txnStep(node) : lockStep(node);
            if (!definite) {
                // A node that is down or stuck: a short pause keeps this client from spinning on it.
                LockSupport.parkNanos(Duration.ofMillis(20 + random.nextInt(80)).toNanos());
            }
        }
    }

    private NodeClient randomNode() {
        return nodes.get(random.nextInt(nodes.size())).client().withTimeout(RecordingClient.TIMEOUT);
    }

    /** A session of this client's own, from whichever node answers; null if stopped first. */
    private String createSession() {
        while (!stop.get()) {
            try {
                HttpReply reply = randomNode().createSession("jepsen-c" + id);
                if (reply.status() == 200) {
                    return reply.json().path("id").asText();
                }
            } catch (UncheckedIOException e) {
                // Down or paused: another node next time.
            }
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
        }
        return null;
    }

    private boolean txnStep(NodeClient node) {
        String group = GROUPS.get(random.nextInt(GROUPS.size()));
        double p = random.nextDouble();
        if (p < 0.40) {
            return txnRead(node, group);
        }
        KvOp op;
        if (p < 0.75) {
            op = new KvOp.Cas(group, random.nextInt(5) == 0 ? 0 : lastSeen.getOrDefault(group, 0L), nextValue());
        } else if (p < 0.95) {
            op = new KvOp.Put(group, nextValue());
        } else {
            op = new KvOp.Delete(group);
        }
        return txn(node, op);
    }

    private boolean lockStep(NodeClient node) {
        String key = LOCKS.get(random.nextInt(LOCKS.size()));
        double p = random.nextDouble();
        KvOp op;
        if (mayHold.contains(key)) {
            op = p < 0.55 ? new KvOp.Release(key, session, nextValue())
                    : p < 0.70 ? new KvOp.Acquire(key, session, nextValue())
                    : p < 0.80 ? new KvOp.Put(key, nextValue())
                    : new KvOp.Get(key);
        } else {
            op = p < 0.50 ? new KvOp.Acquire(key, session, nextValue())
                    : p < 0.60 ? new KvOp.Release(key, session, nextValue())
                    : p < 0.70 ? new KvOp.Put(key, nextValue())
                    : new KvOp.Get(key);
        }
        KvResult result = single.send(node, op);
        boolean applied = result instanceof KvResult.LockResult(boolean yes) && yes;
        switch (op) {
            case KvOp.Acquire a -> {
                // Without an answer it may have taken the lock: releasing it soon is harmless either way.
                if (result == null || applied) {
                    mayHold.add(key);
                } else {
                    mayHold.remove(key);
                }
                if (result != null) {
                    (applied ? coordination.acquired : coordination.acquireRefused).increment();
                }
            }
            case KvOp.Release r -> {
                if (result != null) {
                    mayHold.remove(key);
                    (applied ? coordination.released : coordination.releaseRefused).increment();
                }
            }
            default -> { }
        }
        return result != null;
    }

    /** Sends a transaction read of {@code group}'s keys and records it as a get of the group. */
    boolean txnRead(NodeClient node, String group) {
        ObjectNode request = JSON.createObjectNode();
        ArrayNode success = request.putArray("success");
        for (String key : keys(group)) {
            success.addObject().put("op", "get").put("key", key);
        }
        return send(node, new KvOp.Get(group), request);
    }

    private boolean txn(NodeClient node, KvOp op) {
        ObjectNode request = JSON.createObjectNode();
        ArrayNode success = request.putArray("success");
        switch (op) {
            case KvOp.Cas cas -> {
                request.putArray("compare").addObject().put("key", keys(cas.key()).get(0))
                        .put("modifyIndex", cas.expectedModifyIndex());
                puts(success, cas.key(), cas.value());
                request.putArray("failure").addObject().put("op", "get").put("key", keys(cas.key()).get(0));
            }
            case KvOp.Put put -> puts(success, put.key(), put.value());
            case KvOp.Delete delete -> {
                for (String key : keys(delete.key())) {
                    success.addObject().put("op", "delete").put("key", key);
                }
            }
            default -> throw new IllegalArgumentException("not a transaction write: " + op);
        }
        return send(node, op, request);
    }

    private static void puts(ArrayNode success, String group, String value) {
        String encoded = Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
        for (String key : keys(group)) {
            success.addObject().put("op", "put").put("key", key).put("value", encoded);
        }
    }

    /** The keys of a group, the first one's modifyIndex standing for the group's. */
    static List<String> keys(String group) {
        return List.of(group + "/a", group + "/b");
    }

    /** Sends {@code request} and records it as {@code op}; false if it got no definite answer. */
    private boolean send(NodeClient node, KvOp op, JsonNode request) {
        History.Pending call = history.invoke(id, op);
        HttpReply reply;
        try {
            reply = node.txn(request);
        } catch (UncheckedIOException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ConnectException && !(cause instanceof HttpTimeoutException)) {
                call.failed("connection refused");
                counts.failed.increment();
            } else {
                call.unknown(cause instanceof HttpTimeoutException ? "timeout" : cause.getClass().getSimpleName());
                counts.unknown.increment();
            }
            return false;
        }
        if (reply.status() != 200) {
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
            return false;
        }
        JsonNode answer;
        try {
            answer = reply.json();
        } catch (UncheckedIOException e) {
            call.unknown("200 without JSON");
            counts.unknown.increment();
            counts.unexpected.add(op + " via " + node.baseUrl() + " -> " + reply);
            return false;
        }
        int expectedResults = op instanceof KvOp.Cas && !answer.path("succeeded").asBoolean() ? 1 : 2;
        if (answer.path("index").asLong() < 1 || answer.path("results").size() != expectedResults) {
            call.unknown("200 of another shape");
            counts.unknown.increment();
            counts.unexpected.add(op + " via " + node.baseUrl() + " -> " + reply);
            return false;
        }
        String torn = atomicityViolation(op, answer);
        if (torn != null) {
            coordination.atomicity.add("#" + call.id() + " c" + id + " " + Operation.describeOp(op) + " via " + node.baseUrl()
                    + " -> index " + answer.path("index").asLong() + ", " + describeResults(answer) + ": " + torn);
            call.unknown("not atomic");
            counts.unknown.increment();
            return false;
        }
        KvResult result = result(op, answer);
        call.ok(result);
        counts.ok.increment();
        switch (result) {
            case KvResult.Written w -> lastSeen.put(op.key(), w.index());
            case KvResult.Mismatch m -> lastSeen.put(op.key(), m.currentModifyIndex());
            case KvResult.Found f -> lastSeen.put(op.key(), f.modifyIndex());
            case KvResult.NotFound n -> lastSeen.put(op.key(), 0L);
            case KvResult.Deletion d -> lastSeen.put(op.key(), 0L);
            case KvResult.LockResult l -> throw new IllegalStateException("a transaction answered a lock result");
        }
        (op instanceof KvOp.Get ? coordination.txnReads
                : result instanceof KvResult.Mismatch ? coordination.txnWritesRefused
                : coordination.txnWritesCommitted).increment();
        return true;
    }

    /** What in a 200 answer shows the transaction did not act on its keys as one, or null. */
    private static String atomicityViolation(KvOp op, JsonNode answer) {
        JsonNode results = answer.path("results");
        return switch (op) {
            case KvOp.Get g -> {
                JsonNode a = results.path(0);
                JsonNode b = results.path(1);
                if (a.path("found").asBoolean() != b.path("found").asBoolean()) {
                    yield "one key of the group is present and the other absent";
                }
                if (a.path("found").asBoolean() && (!a.path("value").equals(b.path("value"))
                        || a.path("modifyIndex").asLong() != b.path("modifyIndex").asLong())) {
                    yield "the keys of the group hold different values or modifyIndexes";
                }
                yield null;
            }
            case KvOp.Delete d -> results.path(0).path("deleted").asBoolean() != results.path(1).path("deleted").asBoolean()
                    ? "the delete removed one key of the group and not the other" : null;
            case KvOp.Cas c when !answer.path("succeeded").asBoolean() -> null;
            default -> {
                long index = answer.path("index").asLong();
                yield results.path(0).path("modifyIndex").asLong() != index || results.path(1).path("modifyIndex").asLong() != index
                        ? "the puts did not both get the transaction's index " + index : null;
            }
        };
    }

    /** The answer's results for reports, values decoded: {@code t0/a "c1-0"@22, t0/b absent}. */
    private static String describeResults(JsonNode answer) {
        StringBuilder out = new StringBuilder();
        for (JsonNode r : answer.path("results")) {
            out.append(out.isEmpty() ? "" : ", ").append(r.path("key").asText()).append(' ');
            if (r.has("deleted")) {
                out.append(r.path("deleted").asBoolean() ? "deleted" : "not deleted");
            } else if (r.path("found").asBoolean()) {
                out.append('"').append(decode(r.path("value").asText())).append("\"@").append(r.path("modifyIndex").asLong());
            } else if (r.has("found")) {
                out.append("absent");
            } else {
                out.append("put @").append(r.path("modifyIndex").asLong());
            }
        }
        return out.toString();
    }

    private static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }

    /** The register result a 200 answer to {@code op}'s transaction stands for. */
    private static KvResult result(KvOp op, JsonNode answer) {
        long index = answer.path("index").asLong();
        JsonNode first = answer.path("results").path(0);
        return switch (op) {
            case KvOp.Get g -> first.path("found").asBoolean()
                    ? new KvResult.Found(decode(first.path("value").asText()), first.path("modifyIndex").asLong())
                    : new KvResult.NotFound();
            case KvOp.Cas c -> answer.path("succeeded").asBoolean() ? new KvResult.Written(index)
                    : new KvResult.Mismatch(first.path("found").asBoolean() ? first.path("modifyIndex").asLong() : 0);
            case KvOp.Put p -> new KvResult.Written(index);
            case KvOp.Delete d -> new KvResult.Deletion(index, first.path("deleted").asBoolean());
            default -> throw new IllegalArgumentException("not a transaction request: " + op);
        };
    }

    private String nextValue() {
        return "c" + id + "-" + sequence++;
    }
}
