package dev.skiff.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.kv.KvStateMachine;
import dev.skiff.raft.Configuration;
import dev.skiff.raft.InMemoryLogStore;
import dev.skiff.raft.InMemoryNetwork;
import dev.skiff.raft.InMemorySnapshotStore;
import dev.skiff.raft.InMemoryStableStore;
import dev.skiff.raft.Raft;
import dev.skiff.raft.RaftConfig;
import dev.skiff.raft.Server;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who forms a cluster through the discovery table ({@link DiscoveryAgent#shouldBootstrap}), in
 * particular a node that took the bootstrap lock on an earlier start and comes back without
 * state, and how soon a new leader is named in the table.
 */
class DiscoveryAgentTest {

    @TempDir
    Path dir;

    private FileDiscovery table() throws IOException {
        return new FileDiscovery(dir, Duration.ofSeconds(30), Clock.systemUTC());
    }

    private DiscoveryAgent agent(String id) throws IOException {
        return new DiscoveryAgent(table(), member(id), null, Duration.ofMinutes(10));
    }

    private static Member member(String id) {
        int n = id.charAt(1) - '0';
        return new Member(id, "127.0.0.1:" + (9000 + n), "127.0.0.1:" + (8000 + n), Instant.now());
    }

    /** n1 registered and took the bootstrap lock, then stopped; the lock stays in the table. */
    private void n1TookTheLockOnAnEarlierStart() throws IOException {
        try (DiscoveryAgent first = agent("n1")) {
            first.registerAndRefresh();
            assertThat(first.shouldBootstrap()).isTrue();
        }
    }

    /** The table names n1 the leader of term 1, as n1's heartbeat would once it led. */
    private void n1LedTermOne() throws IOException {
        try (FileDiscovery t = table()) {
            assertThat(t.publishLeader(new PublishedLeader("n1", "127.0.0.1:9001", "127.0.0.1:8001", 1, Instant.now()))).isTrue();
        }
    }

    @Test
    void theFirstToAskTakesTheLock_andTheOthersJoin() throws IOException {
        try (DiscoveryAgent n1 = agent("n1"); DiscoveryAgent n2 = agent("n2")) {
            n1.registerAndRefresh();
            n2.registerAndRefresh();
            assertThat(n1.shouldBootstrap()).isTrue();
            assertThat(n2.shouldBootstrap()).isFalse();
            assertThat(n1.shouldBootstrap()).as("asking again is idempotent").isTrue();
        }
    }

    /**
     * The holder stopped between taking the lock and bootstrapping (the bootstrap first waits
     * seconds for signs of a cluster) and started again: the other nodes are registered and wait
     * for it to bootstrap. It used to join them instead, and no node ever bootstrapped.
     */
    @Test
    void when_theHolderStoppedBeforeBootstrapping_then_itBootstrapsOnItsNextStart_althoughOthersAreRegistered() throws IOException {
        n1TookTheLockOnAnEarlierStart();
        try (DiscoveryAgent n2 = agent("n2"); DiscoveryAgent n3 = agent("n3"); DiscoveryAgent again = agent("n1")) {
            n2.registerAndRefresh();
            n3.registerAndRefresh();
            assertThat(n2.shouldBootstrap()).isFalse();
            assertThat(n3.shouldBootstrap()).isFalse();
            again.registerAndRefresh();
            assertThat(again.shouldBootstrap()).isTrue();
        }
    }

    /** The holder bootstrapped, led, and lost its data directory: a cluster may exist, and it joins rather than start a second. */
    @Test
    void when_theHolderLedACluster_andLostItsData_then_itJoinsTheRegisteredNodes() throws IOException {
        n1TookTheLockOnAnEarlierStart();
        n1LedTermOne();
        try (DiscoveryAgent n2 = agent("n2"); DiscoveryAgent again = agent("n1")) {
            n2.registerAndRefresh();
            again.registerAndRefresh();
            assertThat(again.shouldBootstrap()).isFalse();
        }
    }

    @Test
    void when_theHolderComesBackAlone_then_itBootstrapsAgain() throws IOException {
        n1TookTheLockOnAnEarlierStart();
        n1LedTermOne();
        try (DiscoveryAgent again = agent("n1")) {
            again.registerAndRefresh();
            assertThat(again.shouldBootstrap()).isTrue();
        }
    }

    /** The heartbeat interval here is ten minutes: the leader is named at once, not at the next beat. */
    @Test
    void aNodeThatBecomesLeaderIsNamedInTheTableAtOnce() throws Exception {
        RaftConfig config = RaftConfig.defaults("n1")
                .withTimeouts(Duration.ofMillis(30), Duration.ofMillis(200), Duration.ofMillis(150));
        Raft raft = Raft.create(config, new KvStateMachine(), new InMemoryLogStore(), new InMemoryStableStore(),
                new InMemorySnapshotStore(2), new InMemoryNetwork().transport("127.0.0.1:9001"));
        try (DiscoveryAgent agent = agent("n1"); FileDiscovery t = table()) {
            agent.registerAndRefresh();
            agent.start(raft);
            Thread.sleep(200); // the first beat ran before there was a leader
            assertThat(t.publishedLeader()).isEmpty();
            raft.bootstrapCluster(Configuration.of(Server.voter("n1", "127.0.0.1:9001"))).join();
            await().atMost(Duration.ofSeconds(10)).until(() -> t.publishedLeader().isPresent());
            assertThat(t.publishedLeader().orElseThrow().id()).isEqualTo("n1");
        } finally {
            raft.shutdown().join();
        }
    }
}
