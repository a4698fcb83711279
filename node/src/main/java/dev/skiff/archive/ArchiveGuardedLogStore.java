package dev.skiff.archive;

import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogStore;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The node's log with compaction held back to what the log archive already holds: a snapshot
 * may compact the log only up to the archive's last index, so that an S3 outage longer than
 * the snapshot interval never leaves a hole in the archive (the log grows meanwhile). Until the
 * archive's head is known ({@code archivedIndex} is -1) nothing is compacted. Every other call
 * goes straight to the wrapped store; {@link LogStore} allows a compaction to keep more than
 * asked.
 */
public final class ArchiveGuardedLogStore implements LogStore {

    private final LogStore logs;
    private final LongSupplier archivedIndex;

    /** @param archivedIndex the archive's last index, or -1 while unknown */
    public ArchiveGuardedLogStore(LogStore logs, LongSupplier archivedIndex) {
        this.logs = Objects.requireNonNull(logs, "logs");
        this.archivedIndex = Objects.requireNonNull(archivedIndex, "archivedIndex");
    }

    @Override
    public void truncatePrefix(long firstIndexKept) throws IOException {
        long archived = archivedIndex.getAsLong();
        if (archived < 0) {
            return;
        }
        logs.truncatePrefix(Math.min(firstIndexKept, archived + 1));
    }

    @Override
    public String incarnation() {
        return logs.incarnation();
    }

    @Override
    public void markFounded() throws IOException {
        logs.markFounded();
    }

    @Override
    public long firstIndex() throws IOException {
        return logs.firstIndex();
    }

    @Override
    public long lastIndex() throws IOException {
        return logs.lastIndex();
    }

    @Override
    public Optional<LogEntry> getLog(long index) throws IOException {
        return logs.getLog(index);
    }

    @Override
    public List<LogEntry> getLogs(long fromInclusive, long toInclusive, long maxBytes) throws IOException {
        return logs.getLogs(fromInclusive, toInclusive, maxBytes);
    }

    @Override
    public void storeLogs(List<LogEntry> entries) throws IOException {
        logs.storeLogs(entries);
    }

    @Override
    public void truncateSuffix(long lastIndexKept) throws IOException {
        logs.truncateSuffix(lastIndexKept);
    }

    @Override
    public void reset(long nextIndex) throws IOException {
        logs.reset(nextIndex);
    }

    @Override
    public void close() throws IOException {
        logs.close();
    }
}
