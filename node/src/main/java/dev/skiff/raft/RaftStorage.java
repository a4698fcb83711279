package dev.skiff.raft;

import dev.skiff.raft.core.HardState;
import dev.skiff.raft.core.Ready;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The three durable stores of one server, and the persistence steps of a {@link Ready} on
 * them: shared by {@code RaftNode} and the simulation, so both persist in exactly the same way.
 *
 * <p>Not thread-safe: called from the thread that drives the core.
 *
 * @param logs      the log
 * @param stable    term and vote
 * @param snapshots snapshots
 */
public record RaftStorage(LogStore logs, StableStore stable, SnapshotStore snapshots) {

    /** The persisted term and vote (a vote counts only in the term it was cast in). */
    public HardState loadHardState() throws IOException {
        long term = stable.getLong(StableStore.CURRENT_TERM, 0);
        long voteTerm = stable.getLong(StableStore.LAST_VOTE_TERM, 0);
        String candidate = stable.get(StableStore.LAST_VOTE_CANDIDATE)
                .map(b -> new String(b, StandardCharsets.UTF_8)).filter(s -> !s.isEmpty()).orElse(null);
        return new HardState(term, voteTerm == term ? candidate : null);
    }

    /** Persists term and vote atomically. */
    public void saveHardState(HardState hs) throws IOException {
        Map<String, byte[]> values = new LinkedHashMap<>();
        values.put(StableStore.CURRENT_TERM, StableStore.encodeLong(hs.term()));
        values.put(StableStore.LAST_VOTE_TERM, StableStore.encodeLong(hs.votedFor() == null ? 0 : hs.term()));
        values.put(StableStore.LAST_VOTE_CANDIDATE,
                (hs.votedFor() == null ? "" : hs.votedFor()).getBytes(StandardCharsets.UTF_8));
        stable.setAll(values);
    }

    /** The newest snapshot, if any. */
    public Optional<SnapshotMeta> latestSnapshot() throws IOException {
        List<SnapshotMeta> all = snapshots.list();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
    }

    /**
     * Makes the log agree with the snapshot the server starts from: a log that does not reach
     * the snapshot, has a gap after it, or holds a different entry at its index (a crash while
     * installing a snapshot) is discarded so that it continues after the snapshot.
     *
     * @return true if the log was discarded
     */
    public boolean reconcileLog(SnapshotMeta snapshot) throws IOException {
        if (snapshot == null) {
            return false;
        }
        long first = logs.firstIndex();
        long last = logs.lastIndex();
        boolean consistent;
        if (last == 0) {
            consistent = false;
        } else if (last < snapshot.index() || first > snapshot.index() + 1) {
            consistent = false;
        } else if (first <= snapshot.index()) {
            consistent = logs.getLog(snapshot.index()).map(e -> e.term() == snapshot.term()).orElse(false);
        } else {
            consistent = true; // the log starts right after the snapshot
        }
        if (!consistent) {
            logs.reset(snapshot.index() + 1);
        }
        return !consistent;
    }

    /**
     * Carries out the persistence part of a Ready, in order: hard state, log reset, then the
     * new entries (truncating a stale suffix first). When this returns, everything is durable
     * and the Ready's messages may be sent.
     */
    public void persist(Ready ready) throws IOException {
        if (ready.founding()) {
            logs.markFounded();
        }
        if (ready.hardState() != null) {
            saveHardState(ready.hardState());
        }
        if (ready.resetLogTo() > 0) {
            logs.reset(ready.resetLogTo());
        }
        List<LogEntry> entries = ready.entries();
        if (!entries.isEmpty()) {
            long first = entries.get(0).index();
            if (logs.lastIndex() >= first) {
                logs.truncateSuffix(first - 1);
            }
            logs.storeLogs(entries);
        }
    }

    /** Carries out the compaction part of a Ready (after applying). */
    public void compact(Ready ready) throws IOException {
        if (ready.compactBefore() > 0) {
            logs.truncatePrefix(ready.compactBefore());
        }
    }
}
