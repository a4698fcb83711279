package dev.skiff.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skiff.kv.KvCommand;
import dev.skiff.kv.KvCommandCodec;
import dev.skiff.kv.KvSnapshotValidator;
import dev.skiff.kv.KvStateMachine;
import dev.skiff.raft.CannotBootstrapException;
import dev.skiff.raft.Configuration;
import dev.skiff.raft.FsmSnapshot;
import dev.skiff.raft.InMemoryLogStore;
import dev.skiff.raft.InMemoryNetwork;
import dev.skiff.raft.InMemorySnapshotStore;
import dev.skiff.raft.InMemoryStableStore;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import dev.skiff.raft.OpenSnapshot;
import dev.skiff.raft.Raft;
import dev.skiff.raft.RaftConfig;
import dev.skiff.raft.RaftState;
import dev.skiff.raft.Server;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.SnapshotSink;
import dev.skiff.raft.SnapshotStore;
import dev.skiff.raft.StableStore;
import dev.skiff.wal.FileSnapshotStore;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotSeederTest {

    private static final Configuration OLD_CLUSTER = Configuration.of(Server.voter("old1", "10.0.0.1:7000"),
            Server.voter("old2", "10.0.0.2:7000"), Server.voter("old3", "10.0.0.3:7000"));
    private static final long SNAPSHOT_INDEX = 1_000;
    private static final long SNAPSHOT_TERM = 7;

    private static final SnapshotSeeder.DataCheck KV_CHECK = KvSnapshotValidator::validate;

    private final InMemoryNetwork network = new InMemoryNetwork();
    private final List<Raft> running = new ArrayList<>();

    /** A fresh node's stores and its FSM. */
    private static final class Node {
        final Server self;
        final InMemoryLogStore logs = new InMemoryLogStore();
        final InMemoryStableStore stable = new InMemoryStableStore();
        final InMemorySnapshotStore snapshots = new InMemorySnapshotStore(2);
        final KvStateMachine fsm = new KvStateMachine();
        Raft raft;

        Node(String id) {
            self = new Server(id, id + ".new:9000", dev.skiff.raft.Suffrage.NONVOTER, id + ".new:8080");
        }
    }

    @AfterEach
    void stop() {
        running.forEach(Raft::close);
    }

    private static byte[] put(String key, String value) {
        return KvCommandCodec.encode(KvCommand.Put.of(key, value.getBytes(StandardCharsets.UTF_8)));
    }

    /** The old cluster's snapshot: keys k0..k499 written at indexes up to SNAPSHOT_INDEX. */
    private static SnapshotMeta oldClusterSnapshot(SnapshotStore store) throws IOException {
        KvStateMachine old = new KvStateMachine();
        List<LogEntry> entries = new ArrayList<>();
        for (long i = 1; i <= SNAPSHOT_INDEX; i++) {
            entries.add(new LogEntry(i, SNAPSHOT_TERM, LogType.COMMAND, put("k" + (i % 500), "v" + i)));
        }
        old.applyBatch(entries);
        SnapshotSink sink = store.create(SNAPSHOT_INDEX, SNAPSHOT_TERM, OLD_CLUSTER, 1);
        FsmSnapshot view = old.snapshot();
        view.persist(sink.out());
        return sink.commit();
    }

    private RaftConfig config(String id) {
        return RaftConfig.defaults(id)
                .withTimeouts(Duration.ofMillis(30), Duration.ofMillis(200), Duration.ofMillis(150))
                .withSnapshots(Duration.ofSeconds(60), 1_000_000, 5)
                .withLocalId(id);
    }

    private void start(Node n) throws IOException {
        n.raft = Raft.create(config(n.self.id()), n.fsm, n.logs, n.stable, n.snapshots, network.transport(n.self.address()));
        running.add(n.raft);
    }

    @Test
    void when_seeded_then_theNodeLeadsANewOneNodeClusterWithTheStateAndIndexesContinue() throws Exception {
        InMemorySnapshotStore backup = new InMemorySnapshotStore(5);
        SnapshotMeta source = oldClusterSnapshot(backup);
        Node n1 = new Node("new1");

        SnapshotSeeder.Seeded seeded = SnapshotSeeder.seed(backup, Optional.empty(), n1.self, n1.snapshots, n1.logs, n1.stable, KV_CHECK);

        assertThat(seeded.source()).isEqualTo(source);
        assertThat(seeded.nextIndex()).isEqualTo(SNAPSHOT_INDEX + 1);
        assertThat(seeded.term()).isEqualTo(SNAPSHOT_TERM + 1);
        assertThat(seeded.local().index()).isEqualTo(SNAPSHOT_INDEX);
        assertThat(seeded.local().configuration().servers())
                .containsExactly(n1.self.withSuffrage(dev.skiff.raft.Suffrage.VOTER));
        assertThat(n1.stable.getLong(StableStore.CURRENT_TERM, 0)).isEqualTo(SNAPSHOT_TERM + 1);

        start(n1);
        await().atMost(Duration.ofSeconds(10)).until(() -> n1.raft.state() == RaftState.LEADER);
        assertThat(n1.fsm.get("k7")).hasValueSatisfying(e -> assertThat(new String(e.value(), StandardCharsets.UTF_8))
                .isEqualTo("v507"));
        long index = n1.raft.apply(put("after", "restore"), Duration.ofSeconds(5)).get().index();
        assertThat(index).isGreaterThan(SNAPSHOT_INDEX + 1);
        assertThat(n1.raft.stats().term()).isGreaterThan(SNAPSHOT_TERM + 1);
        assertThat(n1.fsm.get("after")).isPresent();
        assertThat(n1.raft.configuration().servers()).extracting(Server::id).containsExactly("new1");

        // Others join the restored node as usual, and get its state.
        Node n2 = new Node("new2");
        start(n2);
        n1.raft.addVoter("new2", n2.self.address(), n2.self.apiAddress(), 0, Duration.ofSeconds(10)).get();
        await().atMost(Duration.ofSeconds(10)).until(() -> n2.fsm.get("after").isPresent());
        assertThat(n2.fsm.get("k499")).isPresent();
        assertThat(n2.fsm.appliedIndex()).isGreaterThanOrEqualTo(index);
    }

    @Test
    void when_anIdIsGiven_then_thatSnapshotIsRestored() throws IOException {
        InMemorySnapshotStore backup = new InMemorySnapshotStore(5);
        SnapshotMeta older = oldClusterSnapshot(backup);
        SnapshotSink newer = backup.create(2_000, 8, OLD_CLUSTER, 1);
        newer.out().write(new byte[] {1, 2, 3});
        newer.commit();
        Node n1 = new Node("new1");

        SnapshotSeeder.Seeded seeded = SnapshotSeeder.seed(backup, Optional.of(older.id()), n1.self, n1.snapshots, n1.logs,
                n1.stable, KV_CHECK);

        assertThat(seeded.source().id()).isEqualTo(older.id());
        assertThat(n1.logs.firstIndex()).isEqualTo(SNAPSHOT_INDEX + 1);
        assertThat(n1.logs.lastIndex()).isEqualTo(SNAPSHOT_INDEX + 1);
        try (OpenSnapshot local = n1.snapshots.open(seeded.local().id());
             OpenSnapshot original = backup.open(older.id())) {
            assertThat(local.data().readAllBytes()).isEqualTo(original.data().readAllBytes());
        }
    }

    @Test
    void when_theNodeHasState_then_seedingRefusesAndChangesNothing() throws IOException {
        InMemorySnapshotStore backup = new InMemorySnapshotStore(5);
        oldClusterSnapshot(backup);
        Node n1 = new Node("new1");
        n1.stable.setLong(StableStore.CURRENT_TERM, 3);

        assertThatThrownBy(() -> SnapshotSeeder.seed(backup, Optional.empty(), n1.self, n1.snapshots, n1.logs, n1.stable, KV_CHECK))
                .isInstanceOf(CannotBootstrapException.class)
                .hasMessageContaining("node new1 has some (term 3")
                .hasMessageContaining("nothing was changed");
        assertThat(n1.snapshots.list()).isEmpty();
        assertThat(n1.logs.lastIndex()).isZero();
        assertThat(n1.stable.getLong(StableStore.CURRENT_TERM, 0)).isEqualTo(3);
    }

    @Test
    void when_sourceIsEmptyOrIdUnknown_then_fileNotFound() throws IOException {
        Node n1 = new Node("new1");
        assertThatThrownBy(() -> SnapshotSeeder.seed(new InMemorySnapshotStore(), Optional.empty(), n1.self, n1.snapshots,
                n1.logs, n1.stable, KV_CHECK)).isInstanceOf(FileNotFoundException.class).hasMessageContaining("no snapshot");
        InMemorySnapshotStore backup = new InMemorySnapshotStore(5);
        oldClusterSnapshot(backup);
        assertThatThrownBy(() -> SnapshotSeeder.seed(backup, Optional.of("nope"), n1.self, n1.snapshots, n1.logs, n1.stable, KV_CHECK))
                .isInstanceOf(FileNotFoundException.class);
        assertThat(Raft.hasExistingState(n1.logs, n1.stable, n1.snapshots)).isFalse();
    }

    @Test
    void when_sourceIsCorrupt_then_seedingFailsAndLeavesTheNodeEmpty(@TempDir Path dir) throws IOException {
        FileSnapshotStore backup = FileSnapshotStore.open(dir, 2);
        SnapshotMeta meta = oldClusterSnapshot(backup);
        Path data = dir.resolve(meta.id()).resolve(FileSnapshotStore.DATA_FILE);
        byte[] bytes = Files.readAllBytes(data);
        bytes[bytes.length / 2] ^= 1;
        Files.write(data, bytes);
        Node n1 = new Node("new1");

        assertThatThrownBy(() -> SnapshotSeeder.seed(backup, Optional.empty(), n1.self, n1.snapshots, n1.logs, n1.stable, KV_CHECK))
                .hasMessageContaining("cannot restore snapshot " + meta.id() + " in " + dir)
                .hasMessageContaining("checksum mismatch in block 0")
                .hasMessageContaining("nothing was changed");
        assertThat(Raft.hasExistingState(n1.logs, n1.stable, n1.snapshots)).isFalse();
    }

    @Test
    void when_seededFromASnapshotFile_then_itsStateKeepsItsIndexesAndWritesContinuePastThem(@TempDir Path dir) throws Exception {
        InMemorySnapshotStore backup = new InMemorySnapshotStore(5);
        SnapshotMeta source = oldClusterSnapshot(backup);
        Path file = dir.resolve("backup.snap");
        try (OpenSnapshot open = backup.open(source.id())) {
            Files.write(file, open.data().readAllBytes());
        }
        Node n1 = new Node("new1");

        SnapshotSeeder.Seeded seeded = SnapshotSeeder.seedFile(file, SNAPSHOT_INDEX, n1.self, n1.snapshots, n1.logs, n1.stable,
                KV_CHECK);

        assertThat(seeded.local().index()).isEqualTo(SNAPSHOT_INDEX);
        assertThat(seeded.local().term()).isEqualTo(SnapshotSeeder.FILE_TERM);
        assertThat(seeded.nextIndex()).isEqualTo(SNAPSHOT_INDEX + 1);
        start(n1);
        await().atMost(Duration.ofSeconds(10)).until(() -> n1.raft.state() == RaftState.LEADER);
        assertThat(n1.fsm.get("k7")).hasValueSatisfying(e -> {
            assertThat(new String(e.value(), StandardCharsets.UTF_8)).isEqualTo("v507");
            assertThat(e.modifyIndex()).isEqualTo(507);
        });
        long index = n1.raft.apply(put("k7", "after"), Duration.ofSeconds(5)).get().index();
        assertThat(index).isGreaterThan(SNAPSHOT_INDEX + 1);
        assertThat(n1.fsm.get("k7").orElseThrow().modifyIndex()).isEqualTo(index);
    }

    @Test
    void when_theDataFailsTheCheck_then_seedingFailsNamingItAndLeavesTheNodeEmpty(@TempDir Path dir) throws IOException {
        InMemorySnapshotStore backup = new InMemorySnapshotStore(5);
        oldClusterSnapshot(backup);
        SnapshotSink newer = backup.create(2_000, 8, OLD_CLUSTER, 1);
        newer.out().write("garbage!".getBytes(StandardCharsets.UTF_8));
        SnapshotMeta garbage = newer.commit();
        Node n1 = new Node("new1");

        assertThatThrownBy(() -> SnapshotSeeder.seed(backup, Optional.empty(), n1.self, n1.snapshots, n1.logs, n1.stable,
                KV_CHECK))
                .hasMessageStartingWith("cannot restore snapshot " + garbage.id() + " in ")
                .hasMessageContaining("bad magic")
                .hasMessageEndingWith("nothing was changed");
        assertThat(Raft.hasExistingState(n1.logs, n1.stable, n1.snapshots)).isFalse();

        Path file = dir.resolve("truncated.snap");
        try (OpenSnapshot open = backup.open(backup.list().get(1).id())) {
            byte[] whole = open.data().readAllBytes();
            Files.write(file, java.util.Arrays.copyOf(whole, whole.length - 3));
        }
        assertThatThrownBy(() -> SnapshotSeeder.seedFile(file, SNAPSHOT_INDEX, n1.self, n1.snapshots, n1.logs, n1.stable,
                KV_CHECK))
                .hasMessageStartingWith("cannot restore " + file + ": truncated")
                .hasMessageEndingWith("nothing was changed");
        assertThat(Raft.hasExistingState(n1.logs, n1.stable, n1.snapshots)).isFalse();
    }
}
