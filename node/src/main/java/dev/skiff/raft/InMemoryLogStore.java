package dev.skiff.raft;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A {@link LogStore} in memory, for tests and simulations: nothing survives the process.
 * Thread-safe (one lock); writes are "durable" the moment they return.
 */
public final class InMemoryLogStore implements LogStore {

    private final ArrayList<LogEntry> entries = new ArrayList<>();
    /** Index of entries.get(0), or of the next entry when empty. */
    private long offset = 1;
    private boolean anchored;
    private volatile String incarnation;

    /** An empty log with a random incarnation. */
    public InMemoryLogStore() {
        this(java.util.UUID.randomUUID().toString());
    }

    /** An empty log with the given incarnation (simulations choose it from their seed). */
    public InMemoryLogStore(String incarnation) {
        this.incarnation = java.util.Objects.requireNonNull(incarnation, "incarnation");
    }

    @Override
    public String incarnation() {
        return incarnation;
    }

    @Override
    public void markFounded() {
        incarnation = Incarnations.founded(incarnation);
    }

    @Override
    public synchronized long firstIndex() {
        return entries.isEmpty() ? 0 : offset;
    }

    @Override
    public synchronized long lastIndex() {
        return entries.isEmpty() ? 0 : offset + entries.size() - 1;
    }

    @Override
    public synchronized Optional<LogEntry> getLog(long index) {
        if (entries.isEmpty() || index < offset || index >= offset + entries.size()) {
            return Optional.empty();
        }
        return Optional.of(entries.get((int) (index - offset)));
    }

    @Override
    public synchronized List<LogEntry> getLogs(long fromInclusive, long toInclusive, long maxBytes) {
        List<LogEntry> out = new ArrayList<>();
        long bytes = 0;
        for (long i = fromInclusive; i <= toInclusive; i++) {
            Optional<LogEntry> e = getLog(i);
            if (e.isEmpty()) {
                break;
            }
            out.add(e.get());
            bytes += e.get().data().length;
            if (bytes >= maxBytes) {
                break;
            }
        }
        return out;
    }

    @Override
    public synchronized void storeLogs(List<LogEntry> batch) {
        if (batch.isEmpty()) {
            return;
        }
        long expected = entries.isEmpty() ? (anchored ? offset : batch.get(0).index()) : lastIndex() + 1;
        for (LogEntry e : batch) {
            if (e.index() != expected) {
                throw new IllegalArgumentException("log entry " + e.index() + " does not follow " + (expected - 1));
            }
            expected++;
        }
        if (entries.isEmpty()) {
            offset = batch.get(0).index();
        }
        entries.addAll(batch);
        anchored = true;
    }

    @Override
    public synchronized void truncateSuffix(long lastIndexKept) {
        if (entries.isEmpty() || lastIndexKept >= lastIndex()) {
            return;
        }
        if (lastIndexKept < offset) {
            entries.clear();
            offset = Math.max(1, lastIndexKept + 1);
            return;
        }
        entries.subList((int) (lastIndexKept - offset + 1), entries.size()).clear();
    }

    @Override
    public synchronized void truncatePrefix(long firstIndexKept) {
        if (entries.isEmpty() || firstIndexKept <= offset) {
            return;
        }
        if (firstIndexKept > lastIndex()) {
            long next = lastIndex() + 1;
            entries.clear();
            offset = next;
            return;
        }
        entries.subList(0, (int) (firstIndexKept - offset)).clear();
        offset = firstIndexKept;
    }

    @Override
    public synchronized void reset(long nextIndex) {
        if (nextIndex < 1) {
            throw new IllegalArgumentException("nextIndex must be >= 1, got " + nextIndex);
        }
        entries.clear();
        offset = nextIndex;
        anchored = true;
    }

    @Override
    public void close() {
    }
}
