package dev.skiff.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skiff.it.cluster.ClusterExtension;
import dev.skiff.it.cluster.ClusterOptions;
import dev.skiff.it.cluster.HttpReply;
import dev.skiff.it.cluster.NodeProcess;
import dev.skiff.it.cluster.ProcessCluster;
import dev.skiff.it.cluster.Writes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #15 item 4 with real processes: a node stopped with the {@code terminating} marker in
 * its data directory (what the Terraform module's lifecycle hook does before it stops the
 * service) hands leadership over and leaves the configuration, keeping at least
 * {@code --min-voters}; writes go on throughout with one hand-over and no election storm; the
 * discovery table drops it and names the new leader ({@code skiff leader show}). A node stopped
 * without the marker (a restart) keeps its membership and its registration; a marker found at
 * start is dropped.
 */
class AutoscalingLifecycleIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final ClusterExtension clusters = ClusterExtension.perTest();

    @TempDir
    Path table;

    private static List<String> voterIds(NodeProcess node) {
        return node.client().withTimeout(Duration.ofSeconds(2)).voterIds();
    }

    private static long term(NodeProcess node) {
        return node.client().withTimeout(Duration.ofSeconds(2)).status().path("term").asLong();
    }

    private static void markTerminating(NodeProcess node) throws Exception {
        Files.writeString(node.dataDir().resolve("terminating"), "");
    }

    private static boolean registered(Path table, String id) throws Exception {
        String file = "member-" + java.util.HexFormat.of().formatHex(id.getBytes(StandardCharsets.UTF_8)) + ".properties";
        return Files.exists(table.resolve(file));
    }

    /** {@code skiff leader show --discovery URI} in a JVM of its own; its JSON. */
    private static JsonNode leaderShow(String discovery) throws Exception {
        Process p = NodeProcess.skiff(List.of("leader", "show", "--discovery", discovery)).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("skiff leader show: " + err).isZero();
        return JSON.readTree(out);
    }

    /** Writes through the serving nodes until stopped; records when each acknowledgement arrived. */
    private static final class Writer implements AutoCloseable {
        final ConcurrentLinkedQueue<Long> ackedAt = new ConcurrentLinkedQueue<>();
        final AtomicInteger failed = new AtomicInteger();
        final AtomicBoolean stop = new AtomicBoolean();
        final Thread thread;

        Writer(ProcessCluster cluster) {
            thread = Thread.ofPlatform().name("writer").start(() -> {
                for (int i = 0; !stop.get(); i++) {
                    int n = i;
                    HttpReply r = Writes.tryOnce(cluster, node -> node.client().withTimeout(Duration.ofSeconds(3))
                            .put("lifecycle/" + n, "v" + n));
                    if (r != null && r.status() == 200) {
                        ackedAt.add(System.nanoTime());
                    } else {
                        failed.incrementAndGet();
                    }
                }
            });
        }

        /** The longest time between two acknowledgements, in milliseconds. */
        long longestGapMillis() {
            long longest = 0;
            Long previous = null;
            for (long t : ackedAt) {
                if (previous != null) {
                    longest = Math.max(longest, t - previous);
                }
                previous = t;
            }
            return longest / 1_000_000;
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join();
        }
    }

    @Test
    void when_aTerminatingLeaderStops_then_itHandsOverAndLeaves_andARestartingVoterKeepsItsPlace() throws Exception {
        String discovery = table.toUri().toString();
        ClusterOptions options = ClusterOptions.defaults().withFlags(KvApiIT.STEADY)
                .withFlags("--discovery", discovery, "--min-voters", "3");
        ProcessCluster cluster = clusters.create(options);
        cluster.add(options, List.of()); // forms the cluster through the table's bootstrap lock
        cluster.awaitMembers(1);
        for (int voters = 2; voters <= 4; voters++) { // one at a time: four JVMs starting at once crawl on 2 cores
            cluster.add(options, List.of());
            cluster.awaitMembers(voters, Duration.ofSeconds(60));
        }
        NodeProcess leader = cluster.awaitLeader();
        await("the leader publishes itself").atMost(Duration.ofSeconds(15)).ignoreExceptions()
                .until(() -> leaderShow(discovery).path("id").asText().equals(leader.id()));
        long termBefore = term(leader);

        // Terminating: the leader, with the marker. Writes continue through every serving node.
        long leftIn;
        try (Writer writer = new Writer(cluster)) {
            Thread.sleep(1_000);
            markTerminating(leader);
            long start = System.nanoTime();
            assertThat(leader.terminate(Duration.ofSeconds(80))).as("exit code after SIGTERM").isZero();
            leftIn = (System.nanoTime() - start) / 1_000_000;
            Thread.sleep(2_000);
            writer.close();
            System.out.printf("terminating leader %s left in %d ms; writes: %d acknowledged, %d not, longest gap between "
                    + "acknowledgements %d ms%n", leader.id(), leftIn, writer.ackedAt.size(), writer.failed.get(),
                    writer.longestGapMillis());
            assertThat(writer.longestGapMillis()).as("longest time without an acknowledged write").isLessThan(2_000);
        }
        NodeProcess successor = cluster.awaitLeader();
        assertThat(voterIds(successor)).hasSize(3).doesNotContain(leader.id());
        cluster.awaitMembers(3);
        // One hand-over (one term), no elections after it.
        Thread.sleep(3_000);
        for (NodeProcess n : cluster.nodes()) {
            if (n.isServing()) {
                assertThat(term(n)).as("term of " + n.id()).isEqualTo(termBefore + 1);
            }
        }
        assertThat(leader.logTail(200)).contains("terminating: handed leadership over from " + leader.id())
                .contains("terminating: node " + leader.id() + " removed from the configuration by leader");
        assertThat(registered(table, leader.id())).as("the leaver's registration").isFalse();
        await("the new leader publishes itself").atMost(Duration.ofSeconds(15)).ignoreExceptions()
                .until(() -> leaderShow(discovery).path("id").asText().equals(successor.id()));
        JsonNode shown = leaderShow(discovery);
        assertThat(shown.path("apiAddress").asText()).isEqualTo(successor.apiUrl().replaceFirst("^https?://", ""));
        assertThat(shown.path("term").asLong()).isEqualTo(termBefore + 1);

        // Restarting: a follower without the marker keeps its membership and its registration.
        NodeProcess restarting = cluster.nodes().stream().filter(n -> n.isServing() && n != successor).findFirst().orElseThrow();
        assertThat(restarting.terminate(Duration.ofSeconds(30))).isZero();
        assertThat(voterIds(successor)).contains(restarting.id()).hasSize(3);
        assertThat(registered(table, restarting.id())).as("a restarting node's registration").isTrue();
        cluster.restart(restarting);
        cluster.awaitMembers(3);
        assertThat(Writes.putUntilAcknowledged(cluster, "after-restart", "v", Duration.ofSeconds(10))).isPositive();

        // Terminating at --min-voters: removing it would leave 2 voters, so it stops as a member.
        NodeProcess atMinimum = cluster.nodes().stream().filter(n -> n.isServing() && n != successor).findFirst().orElseThrow();
        markTerminating(atMinimum);
        assertThat(atMinimum.terminate(Duration.ofSeconds(80))).isZero();
        assertThat(voterIds(successor)).contains(atMinimum.id()).hasSize(3);
        assertThat(atMinimum.logTail(100)).contains("terminating: node " + atMinimum.id() + " stays a member");
        assertThat(Writes.putUntilAcknowledged(cluster, "after-minimum", "v", Duration.ofSeconds(10))).isPositive();

        // Its machine did not go away after all: started again, it drops the stale marker and serves as a member.
        cluster.restart(atMinimum);
        cluster.awaitMembers(3);
        assertThat(atMinimum.dataDir().resolve("terminating")).doesNotExist();
        assertThat(atMinimum.logTail(200)).contains("removed a stale");
    }

    @Test
    void when_aTerminatingFollowerStopsWithTlsAndAcls_then_itRemovesItselfThroughTheLeadersHttpsApiWithItsToken() throws Exception {
        ClusterOptions options = ClusterOptions.defaults().withTls().withAclToken("lifecycle-management-token-0123456789")
                .withFlags(KvApiIT.STEADY).withFlags("--min-voters", "2");
        ProcessCluster cluster = clusters.start(3, options);
        NodeProcess leader = cluster.awaitLeader();
        NodeProcess follower = cluster.nodes().stream().filter(n -> n != leader).findFirst().orElseThrow();
        long termBefore = term(leader);

        markTerminating(follower);
        assertThat(follower.terminate(Duration.ofSeconds(80))).isZero();

        assertThat(voterIds(leader)).containsExactlyInAnyOrderElementsOf(
                cluster.nodes().stream().filter(n -> n != follower).map(NodeProcess::id).toList());
        assertThat(term(leader)).isEqualTo(termBefore);
        assertThat(follower.logTail(100)).contains("terminating: node " + follower.id() + " removed from the configuration by leader "
                + leader.id());
        assertThat(Writes.putUntilAcknowledged(cluster, "after-leave", "v", Duration.ofSeconds(10))).isPositive();
    }
}
