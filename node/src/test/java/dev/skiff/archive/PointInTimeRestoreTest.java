package dev.skiff.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.kv.CommitStamp;
import dev.skiff.kv.KvCommand;
import dev.skiff.kv.KvCommandCodec;
import dev.skiff.kv.KvEntry;
import dev.skiff.kv.KvState;
import dev.skiff.kv.KvStateMachine;
import dev.skiff.raft.Configuration;
import dev.skiff.raft.InMemorySnapshotStore;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.SnapshotSink;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Point-in-time restores over a real archive in a directory: the state rebuilt at an index or a
 * time is compared key by key with the state a state machine reaches by applying the same log
 * directly; damaged archives are refused with the object named.
 */
class PointInTimeRestoreTest {

    private static final long T0 = 1_700_000_000_000L;

    @TempDir
    Path dir;
    private FileArchiveObjects objects;
    private InMemorySnapshotStore snapshots;
    private final List<LogEntry> log = new ArrayList<>();

    @BeforeEach
    void writeArchive() throws IOException {
        objects = new FileArchiveObjects(dir.resolve("archive-root"));
        snapshots = new InMemorySnapshotStore(5);
        Random random = new Random(42);
        log.add(new LogEntry(1, 1, LogType.NOOP, new byte[0]));
        for (long i = 2; i <= 200; i++) {
            String key = "k" + random.nextInt(30);
            KvCommand command = random.nextInt(5) == 0 ? KvCommand.Delete.of(key)
                    : KvCommand.Put.of(key, ("v" + i).getBytes(StandardCharsets.UTF_8));
            // Stamps 10 ms apart: entry i is stamped T0 + 10 * i.
            log.add(new LogEntry(i, 2, LogType.COMMAND, CommitStamp.stamp(KvCommandCodec.encode(command), T0 + 10 * i)));
        }
        ArchiveWriter writer = new ArchiveWriter(objects, "n1", false);
        ArchiveChain chain = ArchiveChain.EMPTY;
        for (int from = 0; from < log.size(); from += 7) {
            chain = writer.append(chain, log.subList(from, Math.min(log.size(), from + 7)), null);
        }
        // A snapshot at index 90, as the cluster would have taken it.
        KvStateMachine at90 = applied(90);
        SnapshotSink sink = snapshots.create(90, 2, Configuration.EMPTY, 90);
        at90.snapshot().persist(sink.out());
        sink.commit();
    }

    @Test
    void restoreToAnIndexIsExactlyTheStateAtThatIndex() throws IOException {
        for (long index : new long[] {1, 2, 50, 89, 90, 91, 133, 200}) {
            PointInTimeRestore.Plan plan = PointInTimeRestore.plan(objects, snapshots, new RestoreTarget.Index(index));
            assertThat(plan.index()).isEqualTo(index);
            assertThat(plan.snapshot().isPresent()).as("snapshot for " + index).isEqualTo(index >= 90);
            Path file = dir.resolve("restored-" + index);
            PointInTimeRestore.build(plan, objects, snapshots, file);
            assertThat(contents(file)).as("state at index " + index).isEqualTo(contents(applied(index)));
        }
    }

    @Test
    void restoreToATimeStopsBeforeTheFirstEntryStampedAfterIt() throws IOException {
        // Entry 150 is stamped T0 + 1500: at T0 + 1505 the state includes 150 and not 151.
        PointInTimeRestore.Plan plan = PointInTimeRestore.plan(objects, snapshots,
                new RestoreTarget.Time(Instant.ofEpochMilli(T0 + 1505)));
        assertThat(plan.index()).isEqualTo(150);
        PointInTimeRestore.Result result = PointInTimeRestore.build(plan, objects, snapshots, dir.resolve("t"));
        assertThat(contents(dir.resolve("t"))).isEqualTo(contents(applied(150)));
        assertThat(result.plan().time()).contains(Instant.ofEpochMilli(T0 + 1500));
        // Exactly at a stamp, that entry is included.
        assertThat(PointInTimeRestore.plan(objects, snapshots, new RestoreTarget.Time(Instant.ofEpochMilli(T0 + 1500))).index())
                .isEqualTo(150);
        // After the last write: the whole archive.
        assertThat(PointInTimeRestore.plan(objects, snapshots, new RestoreTarget.Time(Instant.ofEpochMilli(T0 + 99_999))).index())
                .isEqualTo(200);
    }

    @Test
    void aTargetOutsideTheArchiveIsRefusedNamingWhatThereIs() {
        assertThatThrownBy(() -> PointInTimeRestore.plan(objects, snapshots, new RestoreTarget.Index(201)))
                .hasMessageContaining("after the end of the archive").hasMessageContaining("last index is 200");
    }

    @Test
    void aCorruptedSegmentIsDetectedAndNamed() throws IOException {
        ManifestRecord link = ArchiveChain.read(objects).links().get(10);
        Path segment = dir.resolve("archive-root").resolve(link.segment());
        byte[] bytes = Files.readAllBytes(segment);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(segment, bytes);
        PointInTimeRestore.Plan plan = PointInTimeRestore.plan(objects, snapshots, new RestoreTarget.Index(80));
        assertThatThrownBy(() -> PointInTimeRestore.build(plan, objects, snapshots, dir.resolve("x")))
                .isInstanceOf(CorruptArchiveException.class)
                .hasMessageContaining(segment.toUri().toString())
                .hasMessageContaining("does not match the SHA-256");
        // Before the damaged segment, restores still work.
        PointInTimeRestore.Plan earlier = PointInTimeRestore.plan(objects, snapshots, new RestoreTarget.Index(60));
        PointInTimeRestore.build(earlier, objects, snapshots, dir.resolve("y"));
        assertThat(contents(dir.resolve("y"))).isEqualTo(contents(applied(60)));
    }

    @Test
    void aMissingOrAlteredManifestLinkBreaksTheChainWhereItIs() throws IOException {
        Path link5 = dir.resolve("archive-root").resolve(ManifestRecord.key(5));
        byte[] original = Files.readAllBytes(link5);
        Files.writeString(link5, new String(original, StandardCharsets.UTF_8).replace("\"writer\":\"n1\"", "\"writer\":\"n9\""));
        assertThatThrownBy(() -> ArchiveChain.read(objects)).isInstanceOf(CorruptArchiveException.class)
                .hasMessageContaining(objects.describe(ManifestRecord.key(6))).hasMessageContaining("does not chain");
        Files.delete(link5);
        assertThatThrownBy(() -> ArchiveChain.read(objects)).isInstanceOf(CorruptArchiveException.class)
                .hasMessageContaining(objects.describe(ManifestRecord.key(5))).hasMessageContaining("missing");
    }

    @Test
    void aSecondWriterOfTheSameLinkLosesAndTheChainHasOneHistory() throws IOException {
        ArchiveChain chain = ArchiveChain.read(objects);
        List<LogEntry> next = List.of(new LogEntry(201, 2, LogType.NOOP, new byte[0]));
        // A writer that has not seen the last link tries to write it again: refused.
        ArchiveChain lost = new ArchiveWriter(objects, "n2", false)
                .append(new ArchiveChain(List.of(chain.links().get(chain.links().size() - 2)), "x"), next, null);
        assertThat(lost).isNull();
        assertThat(new ArchiveWriter(objects, "n2", false).append(chain.tail(), next, null)).isNotNull();
        assertThat(ArchiveChain.read(objects).lastIndex()).isEqualTo(201);
    }

    @Test
    void retentionDeletesOnlyWhatNoRestorePointAfterTheCutoffNeeds() throws IOException {
        // Cutoff after every write: only links ending at or before the oldest snapshot (90) may go.
        ArchiveRetention.Pruned pruned = ArchiveRetention.prune(objects, snapshots, T0 + 10_000_000);
        ArchiveChain chain = ArchiveChain.read(objects);
        assertThat(pruned).isEqualTo(new ArchiveRetention.Pruned(0, 12)); // links of 7 entries: 1..84 end at or before 90
        assertThat(chain.links().get(0).firstIndex()).isEqualTo(85);
        for (long index : new long[] {90, 91, 150, 200}) {
            PointInTimeRestore.Plan plan = PointInTimeRestore.plan(objects, snapshots, new RestoreTarget.Index(index));
            PointInTimeRestore.build(plan, objects, snapshots, dir.resolve("kept-" + index));
            assertThat(contents(dir.resolve("kept-" + index))).as("state at %d after retention", index)
                    .isEqualTo(contents(applied(index)));
        }
        assertThatThrownBy(() -> PointInTimeRestore.plan(objects, snapshots, new RestoreTarget.Index(50)))
                .hasMessageContaining("needs a snapshot at an index from 84");
        // A second pass deletes nothing more; a cutoff before every write deletes nothing at all.
        assertThat(ArchiveRetention.prune(objects, snapshots, T0 + 10_000_000)).isEqualTo(new ArchiveRetention.Pruned(0, 0));
        // Deleting the first kept link by hand is still a hole.
        Files.delete(dir.resolve("archive-root").resolve(ManifestRecord.key(chain.links().get(0).seq())));
        assertThatThrownBy(() -> ArchiveChain.read(objects)).isInstanceOf(CorruptArchiveException.class)
                .hasMessageContaining("missing");
    }

    @Test
    void retentionKeepsTheNewestSnapshotBeforeTheWindowAndDeletesOlderOnes() throws IOException {
        for (long index : new long[] {30, 150}) {
            SnapshotSink sink = snapshots.create(index, 2, Configuration.EMPTY, index);
            applied(index).snapshot().persist(sink.out());
            sink.commit();
        }
        // The window starts between entries 120 (stamped T0 + 1200) and 121: its first point, the
        // state at index 120, starts from the snapshot at 90, so 30 goes and 90 and 150 stay.
        long cutoff = T0 + 1205;
        ArchiveRetention.Pruned pruned = ArchiveRetention.prune(objects, snapshots, cutoff);
        assertThat(snapshots.list()).extracting(SnapshotMeta::index).containsExactly(150L, 90L);
        assertThat(pruned).isEqualTo(new ArchiveRetention.Pruned(1, 12));
        PointInTimeRestore.Plan first = PointInTimeRestore.plan(objects, snapshots, new RestoreTarget.Time(Instant.ofEpochMilli(cutoff)));
        assertThat(first.index()).isEqualTo(120);
        for (long index : new long[] {91, 120, 121, 150, 200}) {
            PointInTimeRestore.Plan plan = PointInTimeRestore.plan(objects, snapshots, new RestoreTarget.Index(index));
            PointInTimeRestore.build(plan, objects, snapshots, dir.resolve("window-" + index));
            assertThat(contents(dir.resolve("window-" + index))).as("state at %d after retention", index)
                    .isEqualTo(contents(applied(index)));
        }
        // Later passes with the same cutoff delete nothing more.
        assertThat(ArchiveRetention.prune(objects, snapshots, cutoff)).isEqualTo(new ArchiveRetention.Pruned(0, 0));
    }

    @Test
    void retentionKeepsLinksWithWritesAfterTheCutoff() throws IOException {
        assertThat(ArchiveRetention.prune(objects, snapshots, T0)).isEqualTo(new ArchiveRetention.Pruned(0, 0));
        assertThat(ArchiveChain.read(objects).links().get(0).seq()).isZero();
    }

    @Test
    void stampedCommandsApplyLikeUnstampedOnes() {
        byte[] command = KvCommandCodec.encode(KvCommand.Put.of("a", new byte[] {1, 2}));
        assertThat(CommitStamp.of(command)).isEmpty();
        assertThat(CommitStamp.strip(command)).isSameAs(command);
        byte[] stamped = CommitStamp.stamp(command, T0);
        assertThat(CommitStamp.of(stamped)).hasValue(T0);
        assertThat(CommitStamp.strip(stamped)).isEqualTo(command);
        KvStateMachine kv = new KvStateMachine();
        kv.apply(new LogEntry(1, 1, LogType.COMMAND, stamped));
        assertThat(kv.get("a")).map(KvEntry::value).hasValueSatisfying(v -> assertThat(v).containsExactly(1, 2));
    }

    private KvStateMachine applied(long upTo) {
        KvStateMachine kv = new KvStateMachine();
        List<LogEntry> commands = log.stream().filter(e -> e.index() <= upTo && e.type() == LogType.COMMAND).toList();
        if (!commands.isEmpty()) {
            kv.applyBatch(commands);
        }
        return kv;
    }

    private static Map<String, String> contents(KvStateMachine kv) {
        return contents(kv.state());
    }

    private static Map<String, String> contents(Path snapshotFile) throws IOException {
        KvStateMachine kv = new KvStateMachine();
        try (InputStream in = Files.newInputStream(snapshotFile)) {
            kv.restore(in);
        }
        return contents(kv);
    }

    private static Map<String, String> contents(KvState state) {
        Map<String, String> out = new TreeMap<>();
        for (KvEntry e : state.list("", "", Integer.MAX_VALUE).items()) {
            out.put(e.key(), new String(e.value(), StandardCharsets.UTF_8) + "@" + e.modifyIndex());
        }
        return out;
    }
}
