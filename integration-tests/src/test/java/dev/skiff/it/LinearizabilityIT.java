package dev.skiff.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import dev.skiff.it.cluster.ClusterExtension;
import dev.skiff.it.cluster.ClusterOptions;
import dev.skiff.it.cluster.ProcessCluster;
import dev.skiff.it.linearizability.History;
import dev.skiff.it.linearizability.KvOp;
import dev.skiff.it.linearizability.LinearizabilityChecker;
import dev.skiff.it.linearizability.Operation;
import dev.skiff.it.linearizability.Verdict;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Jepsen-style (issue #4, item 7; issue #11): concurrent clients send put / get ({@code
 * consistent} and {@code default}, with timeouts longer than the pauses) / CAS / delete to random nodes of a 3-node cluster while a {@link Nemesis} kills, pauses and
 * restarts nodes (one at a time, often the leader); the recorded history must be linearizable
 * by the project's checker. Inconclusive counts as a failure.
 *
 * <p>{@code -Dskiff.jepsen.seconds=600} runs longer (default 60); {@code -Dskiff.jepsen.seed=N}
 * replays the clients' and the nemesis' choices (timing still varies); {@code
 * -Dskiff.jepsen.acl=true} runs with ACLs on (every client sends the management token).
 */
class LinearizabilityIT {

    private static final int CLIENTS = 8;
    private static final List<String> KEYS = List.of("k0", "k1", "k2", "k3");

    @RegisterExtension
    final ClusterExtension clusters = ClusterExtension.perTest();

    @Test
    void when_nodesAreKilledPausedAndRestarted_then_theHistoryIsLinearizable() throws Exception {
        int seconds = JepsenRun.seconds(60);
        long seed = JepsenRun.seed();
        // -Dskiff.jepsen.acl=true: the same with ACLs on and the management token in every client.
        ProcessCluster cluster = clusters.start(3, Boolean.getBoolean("skiff.jepsen.acl")
                ? ClusterOptions.defaults().withAclToken("jepsen-management-token-" + Long.toHexString(seed))
                : ClusterOptions.defaults());
        History history = new History();
        RecordingClient.Counts counts = new RecordingClient.Counts();
        AtomicBoolean stopClients = new AtomicBoolean();
        List<Runnable> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            clients.add(new RecordingClient(c, cluster.nodes(), KEYS, history, stopClients, seed + 1 + c, counts));
        }
        Nemesis nemesis = JepsenRun.run(cluster, seed, seconds, clients, stopClients);
        // Final reads, once everything is up: a lost or resurrected write shows here at the latest.
        RecordingClient reader = new RecordingClient(CLIENTS, cluster.nodes(), KEYS, history, new AtomicBoolean(), seed, counts);
        for (String key : KEYS) {
            // Retried until definite: leadership may still be settling; every attempt is recorded.
            await("a definite final read of " + key).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> reader.step(cluster.awaitLeader().client().withTimeout(Duration.ofSeconds(15)), new KvOp.Get(key)));
        }

        List<Operation> operations = history.operations();
        Verdict verdict = new LinearizabilityChecker().check(operations);
        System.out.printf("jepsen: %d s, seed %d, 3 nodes, %d clients, %d keys: %d ops (%d ok, %d failed, %d unknown, %d unexpected; "
                        + "reads sent: %d default, %d consistent), nemesis %s, checker %d ms: %s%n",
                seconds, seed, CLIENTS, KEYS.size(), operations.size(), counts.ok.sum(), counts.failed.sum(), counts.unknown.sum(),
                counts.unexpected.size(), counts.defaultReads.sum(), counts.consistentReads.sum(), nemesis.describe(),
                verdict.elapsed().toMillis(), verdict.summary());
        switch (verdict) {
            case Verdict.Linearizable l -> { }
            case Verdict.Violation v -> fail("not linearizable (seed " + seed + "):\n" + v.explanation());
            case Verdict.Inconclusive i -> fail("the checker could not decide (seed " + seed + "): " + i.summary());
        }
        assertThat(counts.unexpected).as("answers outside API.md's statuses").isEmpty();
        assertThat(nemesis.kills + nemesis.pauses).as("faults injected").isPositive();
        assertThat(counts.defaultReads.sum()).as("default (lease) reads sent").isPositive();
        assertThat(counts.ok.sum()).as("operations with a definite result").isGreaterThan(seconds * 10L);
    }
}
