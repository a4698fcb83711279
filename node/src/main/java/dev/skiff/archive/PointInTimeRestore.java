package dev.skiff.archive;

import dev.skiff.kv.CommitStamp;
import dev.skiff.kv.KvStateMachine;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import dev.skiff.raft.OpenSnapshot;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.SnapshotStore;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --restore-from LOCATION --restore-to-index N | --restore-to-time T}: rebuilds the
 * key-value state as it was committed at a point of the archived history, from the newest
 * snapshot at or before that point plus the archived entries after the snapshot, and writes it
 * as a snapshot file that the node is then seeded with ({@code SnapshotSeeder.seedFile}).
 *
 * <p>A restore to time T stops before the first entry stamped after T (stamps are the leader's
 * clock when it proposed the entry, so every write acknowledged by T is before that entry).
 * Everything read is checked: the manifest chain, each segment's SHA-256 and checksum; a
 * missing or altered object stops the restore with its name. Stateless.
 */
public final class PointInTimeRestore {

    private static final Logger log = LoggerFactory.getLogger(PointInTimeRestore.class);

    private PointInTimeRestore() {
    }

    /**
     * The plan of a restore.
     *
     * @param index    the log index restored to
     * @param snapshot the snapshot it starts from, or empty to start from the empty state
     * @param links    the manifest links whose segments are replayed after it
     * @param time     the stamp of the last command restored, if any is stamped
     */
    public record Plan(long index, Optional<SnapshotMeta> snapshot, List<ManifestRecord> links, Optional<Instant> time) {
    }

    /**
     * What a restore built.
     *
     * @param plan     what it did
     * @param file     the snapshot file holding the state at {@code plan.index()}
     * @param replayed how many archived entries it applied
     * @param nanos    how long the replay took
     */
    public record Result(Plan plan, Path file, long replayed, long nanos) {
    }

    /**
     * Finds what a restore to {@code target} needs.
     *
     * @throws FileNotFoundException   if the archive has no such point, naming the points it has
     * @throws CorruptArchiveException naming the object where the archive is damaged
     */
    public static Plan plan(ArchiveObjects objects, SnapshotStore snapshots, RestoreTarget target) throws IOException {
        ArchiveChain chain = ArchiveChain.read(objects);
        if (chain.links().isEmpty()) {
            throw new FileNotFoundException("no log archive at " + objects + " (no " + ManifestRecord.MANIFEST_PREFIX
                    + " objects): is this the --log-archive location of the cluster?");
        }
        long index = switch (target) {
            case RestoreTarget.Index i -> {
                if (i.index() > chain.lastIndex()) {
                    throw new FileNotFoundException("--restore-to-index " + i.index() + " is after the end of the archive at "
                            + objects + " (its last index is " + chain.lastIndex() + ")");
                }
                yield i.index();
            }
            case RestoreTarget.Time t -> indexAt(objects, chain, t.time());
        };
        // The run of links (no snapshot base inside it) that holds the index.
        List<ManifestRecord> links = chain.links();
        int end = 0;
        while (end < links.size() - 1 && links.get(end).lastIndex() < index) {
            end++;
        }
        int start = end;
        while (start > 0 && links.get(start).baseSnapshotIndex() == null) {
            start--;
        }
        // A run continues a snapshot (its base), except the archive's very first run when it
        // starts at index 1; after retention, the first link kept also needs a snapshot.
        long floor = links.get(start).baseSnapshotIndex() != null ? links.get(start).baseSnapshotIndex()
                : start == 0 ? links.get(0).firstIndex() - 1 : 0;
        Optional<SnapshotMeta> snapshot = Optional.empty();
        for (SnapshotMeta m : snapshots.list()) { // newest first
            if (m.index() <= index && m.index() >= floor) {
                snapshot = Optional.of(m);
                break;
            }
        }
        if (snapshot.isEmpty() && floor > 0) {
            throw new FileNotFoundException("a restore to index " + index + " needs a snapshot at an index from " + floor
                    + " to " + index + " in " + snapshots + ", and there is none (the archive continues from a snapshot at "
                    + floor + ", named by " + objects.describe(ManifestRecord.key(links.get(start).seq())) + ")");
        }
        long from = snapshot.map(SnapshotMeta::index).orElse(0L) + 1;
        List<ManifestRecord> needed = new ArrayList<>();
        for (int i = start; i <= end; i++) {
            ManifestRecord link = links.get(i);
            if (link.lastIndex() >= from && link.firstIndex() <= index) {
                needed.add(link);
            }
        }
        return new Plan(index, snapshot, needed, Optional.empty());
    }

    /**
     * The index just before the first entry stamped after {@code time}, or the archive's last
     * index if none is.
     */
    private static long indexAt(ArchiveObjects objects, ArchiveChain chain, Instant time) throws IOException {
        long limit = time.toEpochMilli();
        for (ManifestRecord link : chain.links()) {
            if (link.minTime() == null || link.maxTime() <= limit) {
                continue;
            }
            for (LogEntry e : ArchiveChain.readSegment(objects, link)) {
                var stamp = e.type() == LogType.COMMAND ? CommitStamp.of(e.data()) : java.util.OptionalLong.empty();
                if (stamp.isPresent() && stamp.getAsLong() > limit) {
                    if (e.index() <= 1) {
                        throw new FileNotFoundException("--restore-to-time " + time + " is before the first archived write at "
                                + objects + " (stamped " + Instant.ofEpochMilli(stamp.getAsLong()) + ")");
                    }
                    return e.index() - 1;
                }
            }
        }
        return chain.lastIndex();
    }

    /** Applies the commands gathered so far and empties the list; returns how many. */
    private static int applyCommands(KvStateMachine kv, List<LogEntry> commands) {
        int n = commands.size();
        if (n > 0) {
            kv.applyBatch(commands);
            commands.clear();
        }
        return n;
    }

    /**
     * A user restore the cluster committed: the state as the cluster had it. One the cluster's
     * state machine refused changed nothing there, so it changes nothing here either.
     */
    private static void restoreUserSnapshot(KvStateMachine kv, LogEntry e) {
        try {
            kv.applyRestore(e);
        } catch (IOException refused) {
            log.info("point-in-time replay: the user snapshot at index {} was refused by the cluster too ({}); skipped",
                    e.index(), refused.getMessage());
        }
    }

    /**
     * Carries out {@code plan}: restores its snapshot (if any) into a fresh state machine, replays
     * the archived entries up to the plan's index, and writes the state to {@code file}.
     */
    public static Result build(Plan plan, ArchiveObjects objects, SnapshotStore snapshots, Path file) throws IOException {
        KvStateMachine kv = new KvStateMachine();
        if (plan.snapshot().isPresent()) {
            try (OpenSnapshot open = snapshots.open(plan.snapshot().get().id())) {
                kv.restore(open.data());
            }
        }
        long next = plan.snapshot().map(SnapshotMeta::index).orElse(0L) + 1;
        long replayed = 0;
        long started = System.nanoTime();
        Long lastStamp = null;
        for (ManifestRecord link : plan.links()) {
            List<LogEntry> commands = new ArrayList<>();
            for (LogEntry e : ArchiveChain.readSegment(objects, link)) {
                if (e.index() < next || e.index() > plan.index()) {
                    continue;
                }
                if (e.index() != next) {
                    throw new CorruptArchiveException("archive segment " + objects.describe(link.segment()) + " continues at "
                            + e.index() + " where " + next + " was expected");
                }
                next++;
                if (e.type() == LogType.RESTORE) {
                    replayed += applyCommands(kv, commands);
                    restoreUserSnapshot(kv, e);
                    replayed++;
                } else if (e.type() == LogType.COMMAND) {
                    commands.add(e);
                    var stamp = CommitStamp.of(e.data());
                    if (stamp.isPresent()) {
                        lastStamp = stamp.getAsLong();
                    }
                }
            }
            replayed += applyCommands(kv, commands);
        }
        if (next != plan.index() + 1) {
            throw new CorruptArchiveException("the archive at " + objects + " ends at index " + (next - 1)
                    + " on the way to " + plan.index());
        }
        long nanos = System.nanoTime() - started;
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream out = Files.newOutputStream(file)) {
            kv.snapshot().persist(out);
        }
        Plan done = new Plan(plan.index(), plan.snapshot(), plan.links(),
                Optional.ofNullable(lastStamp).map(Instant::ofEpochMilli));
        log.info("point-in-time state built index={} snapshot={} replayedEntries={} replayMillis={} entriesPerSecond={} "
                        + "lastWriteStamp={}", plan.index(), plan.snapshot().map(SnapshotMeta::id).orElse("none (from empty)"),
                replayed, nanos / 1_000_000, nanos == 0 ? 0 : replayed * 1_000_000_000L / nanos, done.time().orElse(null));
        return new Result(done, file, replayed, nanos);
    }
}
