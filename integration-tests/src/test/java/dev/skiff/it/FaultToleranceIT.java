package dev.skiff.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.it.cluster.ClusterExtension;
import dev.skiff.it.cluster.ClusterOptions;
import dev.skiff.it.cluster.HttpReply;
import dev.skiff.it.cluster.NodeProcess;
import dev.skiff.it.cluster.ProcessCluster;
import dev.skiff.it.cluster.Writes;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Crashes and restarts of real node processes (issue #4, item 6): cluster formation, a leader
 * killed with {@code kill -9}, catch-up by log and by InstallSnapshot, and the whole cluster
 * killed at once.
 */
class FaultToleranceIT {

    @RegisterExtension
    final ClusterExtension clusters = ClusterExtension.perTest();

    @Test
    void when_nodesBootstrapAndJoin_then_everyNodeIsAVoterAndServesEveryWrite() {
        ProcessCluster cluster = clusters.start(3, ClusterOptions.defaults());

        HttpReply members = cluster.node("n2").client().send("GET", "/v1/cluster/members", null);
        assertThat(members.status()).isEqualTo(200);
        assertThat(members.json().path("members").findValuesAsText("id")).containsExactlyInAnyOrder("n1", "n2", "n3");
        assertThat(members.json().path("members").findValuesAsText("suffrage")).containsOnly("voter");

        long index = cluster.node("n3").client().put("formed", "yes").json().path("index").asLong();
        for (NodeProcess node : cluster.nodes()) {
            await(node + " applied the write").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                HttpReply r = node.client().get("formed", "stale");
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.text()).isEqualTo("yes");
                assertThat(r.longHeader("X-Skiff-Modify-Index")).hasValue(index);
            });
        }
    }

    @Test
    void when_leaderIsKilled_then_aNewLeaderTakesWritesAndTheOldOneCatchesUpAfterRestart() {
        ProcessCluster cluster = clusters.start(3, ClusterOptions.defaults());
        NodeProcess oldLeader = cluster.awaitLeader();
        Writes.putUntilAcknowledged(cluster, "before", "kill", Duration.ofSeconds(30));

        long killedAt = System.nanoTime();
        cluster.kill9(oldLeader);
        Writes.putUntilAcknowledged(cluster, "after", "kill", Duration.ofSeconds(30));
        long firstWriteMillis = (System.nanoTime() - killedAt) / 1_000_000;
        NodeProcess newLeader = cluster.awaitLeader();
        System.out.println("leader kill: " + oldLeader + " killed with kill -9; first write acknowledged after "
                + firstWriteMillis + " ms; new leader " + newLeader);
        assertThat(newLeader).isNotEqualTo(oldLeader);

        for (int i = 0; i < 20; i++) {
            assertThat(newLeader.client().put("while-down/" + i, "v" + i).status()).isEqualTo(200);
        }
        cluster.restart(oldLeader);
        cluster.awaitCaughtUp(oldLeader);
        for (int i = 0; i < 20; i++) {
            HttpReply r = oldLeader.client().get("while-down/" + i, "stale");
            assertThat(r.status()).as("while-down/%d on the restarted node", i).isEqualTo(200);
            assertThat(r.text()).isEqualTo("v" + i);
        }
        assertThat(oldLeader.client().get("after", "stale").text()).isEqualTo("kill");
    }

    @Test
    void when_followerFallsBehindTheTrailingLogs_then_itCatchesUpThroughInstallSnapshot() throws Exception {
        ProcessCluster cluster = clusters.start(3, ClusterOptions.defaults()
                .withFlags("--snapshot-threshold", "50", "--trailing-logs", "10", "--snapshot-interval", "200ms"));
        NodeProcess leader = cluster.awaitLeader();
        NodeProcess follower = cluster.nodes().stream().filter(n -> n != leader).findFirst().orElseThrow();
        long followerLast = follower.client().status().path("last_log_index").asLong();
        cluster.kill9(follower);

        writeInParallel(leader, "behind/", 300);
        await("the leader compacted its log past " + follower + "'s last index " + followerLast)
                .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> leader.client().status().path("last_snapshot_index").asLong() > followerLast + 10 + 50);

        long logOffset = follower.logSize();
        cluster.restart(follower);
        cluster.awaitCaughtUp(follower);
        assertThat(follower.logSince(logOffset)).as(follower + "'s log after restart").contains("installed snapshot");
        for (int i = 0; i < 300; i += 37) {
            HttpReply r = follower.client().get("behind/" + i, "stale");
            assertThat(r.status()).as("behind/%d on %s", i, follower).isEqualTo(200);
            assertThat(r.text()).isEqualTo("v" + i);
        }
        assertThat(follower.client().status().path("last_snapshot_index").asLong()).isGreaterThan(followerLast);
    }

    @Test
    void when_everyNodeIsKilledAtOnce_then_everyAcknowledgedWriteSurvivesTheRestart() throws Exception {
        ProcessCluster cluster = clusters.start(3, ClusterOptions.defaults());
        cluster.awaitLeader();
        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        AtomicInteger next = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        int writers = 6;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int w = 0; w < writers; w++) {
                NodeProcess via = cluster.nodes().get(w % 3);
                pool.submit(() -> {
                    while (!stop.get()) {
                        String key = "acked/" + next.getAndIncrement();
                        try {
                            HttpReply r = via.client().withTimeout(Duration.ofSeconds(3)).put(key, key + "=v");
                            if (r.status() == 200) {
                                acknowledged.put(key, key + "=v");
                            }
                        } catch (UncheckedIOException e) {
                            // The cluster is being killed: no answer, no acknowledgement.
                        }
                    }
                    return null;
                });
            }
            await("500 acknowledged writes").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(10))
                    .until(() -> acknowledged.size() >= 500);
            // Every node at once, while the writers are still writing.
            List<Thread> killers = new ArrayList<>();
            for (NodeProcess node : cluster.nodes()) {
                killers.add(Thread.ofPlatform().start(node::kill9));
            }
            for (Thread t : killers) {
                t.join();
            }
            stop.set(true);
        }
        int acked = acknowledged.size();
        int attempted = next.get();

        cluster.nodes().forEach(cluster::restart);
        cluster.awaitLeader();
        List<String> lost = new ArrayList<>();
        acknowledged.forEach((key, value) -> {
            HttpReply r = Writes.readUntilDefinite(cluster, key, Duration.ofSeconds(30));
            if (r.status() != 200 || !r.text().equals(value)) {
                lost.add(key + " -> " + r);
            }
        });
        System.out.println("kill all: " + attempted + " writes attempted, " + acked + " acknowledged, all 3 nodes killed with kill -9 at once, "
                + lost.size() + " lost after restart");
        assertThat(lost).as("acknowledged writes missing after the restart").isEmpty();
    }

    /** Puts {@code prefix + i = "v" + i} for i in [0, count) from 4 threads; each put must succeed. */
    private static void writeInParallel(NodeProcess node, String prefix, int count) throws Exception {
        List<Future<Object>> done;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            done = pool.invokeAll(IntStream.range(0, 4).mapToObj(t -> (Callable<Object>) () -> {
                for (int i = t; i < count; i += 4) {
                    HttpReply r = node.client().put(prefix + i, "v" + i);
                    assertThat(r.status()).as("put %s%d", prefix, i).isEqualTo(200);
                }
                return null;
            }).toList());
        }
        for (Future<Object> f : done) {
            f.get();
        }
    }
}
