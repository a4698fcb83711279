package dev.skiff.raft.core;

import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The core's view of the log: what the {@link LogStore} holds durably, plus an in-memory tail
 * of entries not yet persisted ("unstable", after etcd's {@code log_unstable.go}), plus the
 * point up to which the log is replaced by a snapshot.
 *
 * <p>Entries at or after {@code unstableOffset} are read only from memory: the store may still
 * hold a stale suffix there until the driver persists the tail (truncating the stale suffix
 * first). Entries before it are read from the store.
 *
 * <p>The store is only read here; all writes go through {@link Ready} and the driver.
 * Read failures are rethrown unchecked: the node treats them as fatal.
 */
final class RaftLog {

    /** Returned by {@link #term} for an index whose entry is compacted away or not stored. */
    static final long UNAVAILABLE = -1;

    private final LogStore storage;
    private long snapshotIndex;
    private long snapshotTerm;
    /** First index the store can still serve (entries before it are compacted). */
    private long firstAvailable;
    /** Last index that is durable and valid (≥ snapshotIndex). */
    private long stableLast;
    private final ArrayList<LogEntry> unstable = new ArrayList<>();
    private long unstableOffset;
    /**
     * Last index handed to the driver to persist (≥ {@code stableLast}): entries up to it are
     * being written, possibly on another thread, and are not handed out again; they stay
     * unstable (read from memory, not counted as durable) until {@link #stableTo}.
     */
    private long inProgressLast;

    RaftLog(LogStore storage, long snapshotIndex, long snapshotTerm) {
        this.storage = storage;
        this.snapshotIndex = snapshotIndex;
        this.snapshotTerm = snapshotTerm;
        try {
            long first = storage.firstIndex();
            long last = storage.lastIndex();
            this.firstAvailable = first == 0 ? snapshotIndex + 1 : Math.max(first, 1);
            this.stableLast = Math.max(last, snapshotIndex);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.unstableOffset = stableLast + 1;
        this.inProgressLast = stableLast;
    }

    long snapshotIndex() {
        return snapshotIndex;
    }

    long snapshotTerm() {
        return snapshotTerm;
    }

    long lastIndex() {
        return unstable.isEmpty() ? stableLast : unstableOffset + unstable.size() - 1;
    }

    long lastTerm() {
        long t = term(lastIndex());
        return t == UNAVAILABLE ? snapshotTerm : t;
    }

    /** First index whose entry can be read (entries before it are only in the snapshot). */
    long firstIndex() {
        return Math.max(firstAvailable, 1);
    }

    /** The term of the entry at {@code index}: 0 for index 0, {@link #UNAVAILABLE} if unknown. */
    long term(long index) {
        if (index == 0) {
            return 0;
        }
        if (index == snapshotIndex) {
            return snapshotTerm;
        }
        if (index > lastIndex() || index < firstAvailable) {
            return UNAVAILABLE;
        }
        if (index >= unstableOffset) {
            return unstable.get((int) (index - unstableOffset)).term();
        }
        return read(index).map(LogEntry::term).orElse(UNAVAILABLE);
    }

    /** True if the log holds an entry at {@code index} with {@code term} (§5.3 consistency check). */
    boolean matchTerm(long index, long term) {
        long t = term(index);
        return t != UNAVAILABLE && t == term;
    }

    /** §5.4.1: is a log ending at (lastIndex, lastTerm) at least as up-to-date as ours? */
    boolean isUpToDate(long otherLastIndex, long otherLastTerm) {
        long myTerm = lastTerm();
        return otherLastTerm > myTerm || (otherLastTerm == myTerm && otherLastIndex >= lastIndex());
    }

    /**
     * Entries in [from, to], at most {@code maxBytes} of payload (at least one entry).
     * Empty if {@code from} is not available.
     */
    List<LogEntry> entries(long from, long to, long maxBytes) {
        to = Math.min(to, lastIndex());
        if (from > to || from < firstAvailable) {
            return List.of();
        }
        List<LogEntry> out = new ArrayList<>();
        long bytes = 0;
        if (from < unstableOffset) {
            long storedTo = Math.min(to, unstableOffset - 1);
            try {
                for (LogEntry e : storage.getLogs(from, storedTo, maxBytes)) {
                    out.add(e);
                    bytes += e.data().length;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (out.isEmpty() || out.get(out.size() - 1).index() < storedTo || bytes >= maxBytes) {
                return out;
            }
        }
        long next = out.isEmpty() ? from : out.get(out.size() - 1).index() + 1;
        for (long i = next; i <= to; i++) {
            LogEntry e = unstable.get((int) (i - unstableOffset));
            if (!out.isEmpty() && bytes + e.data().length > maxBytes) {
                break;
            }
            out.add(e);
            bytes += e.data().length;
        }
        return out;
    }

    Optional<LogEntry> entry(long index) {
        if (index > lastIndex() || index < firstAvailable) {
            return Optional.empty();
        }
        if (index >= unstableOffset) {
            return Optional.of(unstable.get((int) (index - unstableOffset)));
        }
        return read(index);
    }

    private Optional<LogEntry> read(long index) {
        try {
            return storage.getLog(index);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Appends entries that directly follow {@link #lastIndex()}. */
    void append(List<LogEntry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        if (entries.get(0).index() != lastIndex() + 1) {
            throw new IllegalStateException("append of " + entries.get(0).index() + " after " + lastIndex());
        }
        if (unstable.isEmpty()) {
            unstableOffset = entries.get(0).index();
        }
        unstable.addAll(entries);
    }

    /** Drops every entry after {@code index} (a conflicting suffix, §5.3). Never below a snapshot. */
    void truncateAfter(long index) {
        if (index >= lastIndex()) {
            return;
        }
        if (index + 1 >= unstableOffset) {
            unstable.subList((int) (index + 1 - unstableOffset), unstable.size()).clear();
        } else {
            unstable.clear();
            unstableOffset = index + 1;
            stableLast = index;
        }
        // Replaced entries are handed out again; the driver writes them after the ones in
        // progress, truncating those first.
        inProgressLast = Math.min(inProgressLast, index);
    }

    /** The last index that is durable (before the unstable tail). */
    long stableLastIndex() {
        return unstable.isEmpty() ? lastIndex() : unstableOffset - 1;
    }

    /** The last index handed to the driver to persist, durable or not yet. */
    long inProgressLastIndex() {
        return inProgressLast;
    }

    /**
     * The entries to persist that were not handed out before, oldest first; from now on they
     * count as in progress.
     */
    List<LogEntry> takeEntriesToPersist() {
        int from = (int) Math.max(0, inProgressLast + 1 - unstableOffset);
        if (from >= unstable.size()) {
            return List.of();
        }
        List<LogEntry> out = List.copyOf(unstable.subList(from, unstable.size()));
        inProgressLast = lastIndex();
        return out;
    }

    /** The driver persisted entries up to {@code index} with {@code term}. */
    void stableTo(long index, long term) {
        if (unstable.isEmpty() || index < unstableOffset || term(index) != term) {
            return;
        }
        int n = (int) (index - unstableOffset + 1);
        unstable.subList(0, n).clear();
        stableLast = index;
        unstableOffset = index + 1;
    }

    /** Entries up to {@code index} are covered by a local snapshot; the store may drop [.., before). */
    void compactedTo(long newSnapshotIndex, long newSnapshotTerm, long firstKept) {
        if (newSnapshotIndex > snapshotIndex) {
            snapshotIndex = newSnapshotIndex;
            snapshotTerm = newSnapshotTerm;
        }
        firstAvailable = Math.max(firstAvailable, firstKept);
    }

    /**
     * Installs a snapshot (§7): if the log has the snapshot's last entry, entries after it are
     * kept; otherwise the whole log is discarded.
     *
     * @return true if the log was discarded (the store must be reset to index + 1)
     */
    boolean restore(long index, long term) {
        boolean keepSuffix = matchTerm(index, term) && index <= lastIndex();
        snapshotIndex = index;
        snapshotTerm = term;
        if (keepSuffix) {
            return false;
        }
        unstable.clear();
        unstableOffset = index + 1;
        stableLast = index;
        inProgressLast = index;
        firstAvailable = index + 1;
        return true;
    }
}
