package dev.skiff.autopilot;

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
import dev.skiff.raft.RaftState;
import dev.skiff.raft.Server;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link DeadMemberCleanup} on a real cluster of in-memory Raft servers (real threads, real
 * elections): one cleanup per server, as every node runs one and only the leader's acts.
 */
class DeadMemberCleanupTest {

    private static final RaftConfig FAST = RaftConfig.defaults("x")
            .withTimeouts(Duration.ofMillis(30), Duration.ofMillis(200), Duration.ofMillis(150))
            .withSnapshots(Duration.ofSeconds(10), 1_000_000, 100);

    private final InMemoryNetwork network = new InMemoryNetwork();
    private final Map<String, Raft> servers = new LinkedHashMap<>();
    private final Map<String, SimpleMeterRegistry> registries = new LinkedHashMap<>();
    private final List<DeadMemberCleanup> cleanups = new ArrayList<>();

    @AfterEach
    void stop() {
        cleanups.forEach(DeadMemberCleanup::close);
        servers.values().forEach(r -> r.shutdown().join());
    }

    private Raft launch(String id) throws IOException {
        Raft raft = Raft.create(FAST.withLocalId(id), new KvStateMachine(), new InMemoryLogStore(), new InMemoryStableStore(),
                new InMemorySnapshotStore(2), network.transport(address(id)));
        servers.put(id, raft);
        return raft;
    }

    private static String address(String id) {
        return id + ".local:9000";
    }

    /** Starts {@code n} voters as one cluster, each with a cleanup of the given settings. */
    private void startCluster(int n, Duration removeDeadAfter, int minVoters) throws IOException {
        List<Server> voters = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            voters.add(Server.voter("n" + i, address("n" + i)));
        }
        for (Server s : voters) {
            Raft raft = launch(s.id());
            raft.bootstrapCluster(new Configuration(voters)).join();
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            registries.put(s.id(), registry);
            cleanups.add(DeadMemberCleanup.start(raft, removeDeadAfter, minVoters, registry));
        }
    }

    private Raft awaitLeader() {
        Raft[] found = new Raft[1];
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            found[0] = servers.values().stream().filter(r -> r.state() == RaftState.LEADER).findFirst().orElse(null);
            return found[0] != null;
        });
        return found[0];
    }

    private String idOf(Raft raft) {
        return servers.entrySet().stream().filter(e -> e.getValue() == raft).findFirst().orElseThrow().getKey();
    }

    /** Stops a server for good: it never answers again. */
    private void kill(String id) {
        servers.remove(id).shutdown().join();
    }

    private List<String> followerIds(Raft leader) {
        return leader.configuration().servers().stream().map(Server::id).filter(id -> !id.equals(idOf(leader))).toList();
    }

    private double removed(String suffrage) {
        return registries.values().stream()
                .mapToDouble(r -> r.get("skiff_autopilot_dead_members_removed").tag("suffrage", suffrage).counter().count())
                .sum();
    }

    @Test
    void removesDeadVotersDownToMinVotersAndNoFurther() throws Exception {
        startCluster(5, Duration.ofMillis(600), 3);
        Raft leader = awaitLeader();
        List<String> followers = followerIds(leader);
        kill(followers.get(0));
        kill(followers.get(1));

        await().atMost(Duration.ofSeconds(10)).until(() -> awaitLeader().configuration().voters().size() == 3);
        Configuration afterTwo = awaitLeader().configuration();
        assertThat(afterTwo.server(followers.get(0))).isEmpty();
        assertThat(afterTwo.server(followers.get(1))).isEmpty();
        assertThat(removed("voter")).isEqualTo(2.0);
        assertThat(awaitLeader().apply("still writable".getBytes(), Duration.ofSeconds(5)).get().index()).isPositive();

        // A third death: removing it would leave 2 voters, below --min-voters 3.
        kill(followers.get(2));
        Thread.sleep(2_000); // more than three times removeDeadAfter
        assertThat(awaitLeader().configuration().voters()).hasSize(3);
        assertThat(awaitLeader().configuration().server(followers.get(2))).isPresent();
        assertThat(removed("voter")).isEqualTo(2.0);
    }

    @Test
    void removesADeadNonvoterEvenAtMinVoters() throws Exception {
        startCluster(3, Duration.ofMillis(600), 3);
        Raft leader = awaitLeader();
        launch("learner");
        leader.addNonvoter("learner", address("learner"), "", 0, Duration.ofSeconds(5)).get();
        await().atMost(Duration.ofSeconds(5)).until(() -> leader.stats().followers().stream()
                .anyMatch(f -> f.id().equals("learner") && f.matchIndex() > 0));
        kill("learner");

        await().atMost(Duration.ofSeconds(10)).until(() -> awaitLeader().configuration().server("learner").isEmpty());
        assertThat(awaitLeader().configuration().voters()).hasSize(3);
        assertThat(removed("nonvoter")).isEqualTo(1.0);
        assertThat(removed("voter")).isZero();
    }

    @Test
    void aNewLeaderCountsSilenceOnlyFromWhenItTookOffice() throws Exception {
        Duration removeDeadAfter = Duration.ofMillis(2_000);
        startCluster(5, removeDeadAfter, 3);
        Raft oldLeader = awaitLeader();
        String dead = followerIds(oldLeader).get(0);
        String successor = followerIds(oldLeader).get(1);
        kill(dead);
        long diedAt = System.nanoTime();

        Thread.sleep(1_500); // silent for 1.5 s under the old leader
        oldLeader.leadershipTransferToServer(successor, address(successor)).get();
        Raft newLeader = awaitLeader();
        assertThat(newLeader).isNotSameAs(oldLeader);
        long electedAt = System.nanoTime();

        // Silent for more than removeDeadAfter in total, but not under the new leader: kept.
        long untilTotal = diedAt + removeDeadAfter.toNanos() + 500_000_000L - System.nanoTime();
        Thread.sleep(Math.max(0, untilTotal / 1_000_000));
        assertThat(System.nanoTime() - electedAt).isLessThan(removeDeadAfter.toNanos());
        assertThat(newLeader.configuration().server(dead)).isPresent();

        // Once silent for removeDeadAfter under the new leader, it goes.
        await().atMost(Duration.ofSeconds(10)).until(() -> awaitLeader().configuration().server(dead).isEmpty());
    }

    @Test
    void refusesSettingsOutOfRange() throws IOException {
        Raft raft = launch("solo");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DeadMemberCleanup.start(raft, Duration.ZERO, 3, registry))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("removeDeadAfter");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DeadMemberCleanup.start(raft, Duration.ofSeconds(1), 0, registry))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minVoters");
    }

    @Test
    void checksAboutTenTimesPerThreshold() {
        assertThat(DeadMemberCleanup.checkInterval(Duration.ofSeconds(10))).isEqualTo(Duration.ofSeconds(1));
        assertThat(DeadMemberCleanup.checkInterval(Duration.ofMillis(200))).isEqualTo(Duration.ofMillis(100));
        assertThat(DeadMemberCleanup.checkInterval(Duration.ofHours(1))).isEqualTo(Duration.ofSeconds(5));
    }
}
