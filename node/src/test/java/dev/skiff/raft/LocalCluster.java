package dev.skiff.raft;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A cluster of real {@link Raft} nodes with real threads over an {@link InMemoryNetwork}, with
 * MicroRaft's scenario verbs: {@code start(3)}, {@code awaitLeader()}, {@code isolate(..)},
 * {@code heal()}, {@code crash(..)}, {@code restart(..)}. Stores survive a crash.
 */
final class LocalCluster implements AutoCloseable {

    static final class Member {
        final String id;
        final String address;
        final InMemoryLogStore logs = new InMemoryLogStore();
        final InMemoryStableStore stable = new InMemoryStableStore();
        final InMemorySnapshotStore snapshots;
        ListFsm fsm;
        Raft raft;

        Member(String id, InMemorySnapshotStore snapshots) {
            this.id = id;
            this.address = id + ".local:9000";
            this.snapshots = snapshots;
        }
    }

    final InMemoryNetwork network = new InMemoryNetwork();
    final Map<String, Member> members = new LinkedHashMap<>();
    private final RaftConfig baseConfig;

    private LocalCluster(RaftConfig baseConfig) {
        this.baseConfig = baseConfig;
    }

    static RaftConfig fastConfig() {
        return RaftConfig.defaults("x")
                .withTimeouts(Duration.ofMillis(30), Duration.ofMillis(200), Duration.ofMillis(150))
                .withSnapshots(Duration.ofMillis(100), 1_000_000, 5);
    }

    /** Starts {@code n} servers and bootstraps them as one cluster. */
    static LocalCluster start(int n) {
        return start(n, fastConfig());
    }

    static LocalCluster start(int n, RaftConfig config) {
        return start(n, config, null);
    }

    /** Starts {@code n} servers that all use one snapshot store, as they would one S3 prefix. */
    static LocalCluster startSharingSnapshots(int n, InMemorySnapshotStore shared) {
        return start(n, fastConfig(), shared);
    }

    private static LocalCluster start(int n, RaftConfig config, InMemorySnapshotStore shared) {
        LocalCluster c = new LocalCluster(config);
        List<Server> servers = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            Member m = new Member("n" + i, shared != null ? shared : new InMemorySnapshotStore(2));
            c.members.put(m.id, m);
            servers.add(Server.voter(m.id, m.address));
        }
        Configuration initial = new Configuration(servers);
        for (Member m : c.members.values()) {
            c.launch(m);
            m.raft.bootstrapCluster(initial).join();
        }
        return c;
    }

    /** Adds a server that is running but not yet in the configuration. */
    Member addIdle(String id) {
        return addIdle(id, new InMemorySnapshotStore(2));
    }

    /** Adds a server with the given snapshot store that is running but not yet in the configuration. */
    Member addIdle(String id, InMemorySnapshotStore snapshots) {
        Member m = new Member(id, snapshots);
        members.put(id, m);
        launch(m);
        return m;
    }

    private void launch(Member m) {
        m.fsm = new ListFsm();
        try {
            m.raft = Raft.create(baseConfig.withLocalId(m.id), m.fsm, m.logs, m.stable, m.snapshots,
                    network.transport(m.address));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Member awaitLeader() {
        Member[] found = new Member[1];
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            found[0] = leader().orElse(null);
            return found[0] != null;
        });
        return found[0];
    }

    Optional<Member> leader() {
        return members.values().stream()
                .filter(m -> m.raft != null && m.raft.state() == RaftState.LEADER)
                .max(java.util.Comparator.comparingLong(m -> m.raft.stats().term()));
    }

    Member follower() {
        Member leader = awaitLeader();
        return members.values().stream().filter(m -> m != leader && m.raft != null).findFirst().orElseThrow();
    }

    void crash(Member m) {
        m.raft.shutdown().join();
        m.raft = null;
    }

    void restart(Member m) {
        launch(m);
    }

    void isolate(Member m) {
        network.isolate(m.address);
    }

    void heal() {
        network.heal();
    }

    /** Waits until every running member has applied the same commands. */
    void awaitConverged(List<String> expected) {
        await().atMost(Duration.ofSeconds(15)).until(() -> members.values().stream()
                .filter(m -> m.raft != null && m.raft.configuration().server(m.id).isPresent())
                .allMatch(m -> m.fsm.applied().equals(expected)));
    }

    @Override
    public void close() {
        for (Member m : members.values()) {
            if (m.raft != null) {
                m.raft.shutdown().join();
            }
        }
    }
}
