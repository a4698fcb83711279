package dev.skiff.it.cluster;

import static org.awaitility.Awaitility.await;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** Test helpers that write and read through whichever node answers. */
public final class Writes {

    private static final AtomicInteger roundRobin = new AtomicInteger();

    private Writes() {
    }

    /**
     * Puts {@code key = value} through the serving nodes in turn until one acknowledges it
     * (503, 504 and lost connections are retried: retrying a put of the same value is
     * harmless). Returns the write's index.
     */
    public static long putUntilAcknowledged(ProcessCluster cluster, String key, String value, Duration within) {
        AtomicReference<Long> index = new AtomicReference<>();
        await("put " + key + " acknowledged").atMost(within).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    HttpReply r = tryOnce(cluster, n -> n.client().withTimeout(Duration.ofSeconds(3)).put(key, value));
                    if (r != null && r.status() == 200) {
                        index.set(r.json().path("index").asLong());
                        return true;
                    }
                    return false;
                });
        return index.get();
    }

    /**
     * A consistent read of {@code key} through the serving nodes in turn until one gives a
     * definite answer (200 or 404); 503s and lost connections (leadership moving) are retried.
     */
    public static HttpReply readUntilDefinite(ProcessCluster cluster, String key, Duration within) {
        AtomicReference<HttpReply> reply = new AtomicReference<>();
        await("a definite read of " + key).atMost(within).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    HttpReply r = tryOnce(cluster, n -> n.client().withTimeout(Duration.ofSeconds(3)).get(key, "consistent"));
                    reply.set(r);
                    return r != null && (r.status() == 200 || r.status() == 404);
                });
        return reply.get();
    }

    /** One request to the next serving node; null if it got no answer. */
    public static HttpReply tryOnce(ProcessCluster cluster, java.util.function.Function<NodeProcess, HttpReply> request) {
        List<NodeProcess> serving = cluster.nodes().stream().filter(NodeProcess::isServing).toList();
        if (serving.isEmpty()) {
            return null;
        }
        NodeProcess node = serving.get(Math.floorMod(roundRobin.getAndIncrement(), serving.size()));
        try {
            return request.apply(node);
        } catch (UncheckedIOException e) {
            return null;
        }
    }
}
