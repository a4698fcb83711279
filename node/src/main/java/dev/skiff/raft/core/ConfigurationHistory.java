package dev.skiff.raft.core;

import dev.skiff.raft.Configuration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;

/**
 * The configurations a server knows: the newest committed one plus every configuration entry
 * after it in the log. A server uses the latest, committed or not (thesis §4.1); if a log
 * suffix is truncated the configurations in it are forgotten and an earlier one applies again.
 */
final class ConfigurationHistory {

    record Indexed(long index, Configuration configuration) {
    }

    private Indexed committed;
    private final Deque<Indexed> uncommitted = new ArrayDeque<>();

    ConfigurationHistory(long index, Configuration configuration) {
        this.committed = new Indexed(index, configuration);
    }

    Configuration latest() {
        return uncommitted.isEmpty() ? committed.configuration() : uncommitted.peekLast().configuration();
    }

    long latestIndex() {
        return uncommitted.isEmpty() ? committed.index() : uncommitted.peekLast().index();
    }

    Configuration committed() {
        return committed.configuration();
    }

    long committedIndex() {
        return committed.index();
    }

    /** True if the latest configuration is committed (only then may another change start). */
    boolean latestCommitted() {
        return uncommitted.isEmpty();
    }

    void append(long index, Configuration configuration) {
        uncommitted.addLast(new Indexed(index, configuration));
    }

    /** Forgets configurations in the truncated suffix (index, ∞). */
    void truncateAfter(long index) {
        while (!uncommitted.isEmpty() && uncommitted.peekLast().index() > index) {
            uncommitted.removeLast();
        }
    }

    /** Folds configurations at or before {@code commitIndex} into the committed one. */
    void commitTo(long commitIndex) {
        while (!uncommitted.isEmpty() && uncommitted.peekFirst().index() <= commitIndex) {
            committed = uncommitted.removeFirst();
        }
    }

    /**
     * After installing a snapshot of the log up to {@code snapshotIndex}: the snapshot's
     * configuration is the committed one, and every configuration entry at or before
     * {@code snapshotIndex} is superseded by it (it may be a stale entry the snapshot's history
     * overwrote); entries after it stay.
     */
    void restore(long snapshotIndex, long configurationIndex, Configuration configuration) {
        committed = new Indexed(configurationIndex, configuration);
        Iterator<Indexed> it = uncommitted.iterator();
        while (it.hasNext()) {
            if (it.next().index() <= snapshotIndex) {
                it.remove();
            }
        }
    }
}
