package dev.skiff.raft;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Durable storage of the replicated log: on local disk in production (the segmented WAL),
 * in memory in tests.
 *
 * <p><b>Threading.</b> One writer at a time: {@link #storeLogs}, {@link #truncateSuffix},
 * {@link #truncatePrefix} and {@link #reset} are called by a single thread (the node's log
 * writer) and never concurrently with each other. Reads may run on other threads at the same
 * time as a write and see either the state before or after each write call, never a torn one.
 *
 * <p><b>Durability.</b> When {@link #storeLogs}, {@link #truncateSuffix} or {@link #reset}
 * returns, its effect survives a crash of the process or the machine (fsync).
 * {@link #truncatePrefix} may be lazy: entries before the kept index may remain readable until
 * the implementation reclaims their space.
 *
 * <p><b>Failures.</b> A write that throws {@link IOException} may have stored a prefix of the
 * batch (the log then ends at some index in the batch, never with a hole or a torn entry);
 * Raft treats the store as failed and retries. Reads never return an entry whose checksum does
 * not match: they throw {@link CorruptLogException} instead.
 *
 * <p>Indexes start at 1; 0 means "none".
 *
 * @see InMemoryLogStore
 */
public interface LogStore extends AutoCloseable {

    /**
     * The identity of this log's history: fixed while the store keeps its entries (across
     * restarts, truncations and {@link #reset}), new when the store starts without the history it
     * had (a new or wiped directory). A server's votes and acknowledgements count only under the
     * incarnation the configuration records for it, so a server that lost entries it
     * acknowledged is never counted for them (it is demoted and promoted again once caught up).
     */
    String incarnation();

    /**
     * Records durably that this empty log begins with this server's bootstrap entry: its
     * incarnation becomes {@link Incarnations#founded} of itself. Called before that entry is
     * stored.
     */
    void markFounded() throws IOException;

    /** Index of the first stored entry, or 0 if the log is empty. */
    long firstIndex() throws IOException;

    /** Index of the last stored entry, or 0 if the log is empty. */
    long lastIndex() throws IOException;

    /**
     * The entry at {@code index}, or empty if it is not stored (compacted away, or beyond the end).
     *
     * @throws CorruptLogException if the stored entry fails its checksum
     */
    Optional<LogEntry> getLog(long index) throws IOException;

    /**
     * Entries in [{@code fromInclusive}, {@code toInclusive}], stopping early once their payloads
     * add up to at least {@code maxBytes} (always at least one entry when one is stored at
     * {@code fromInclusive}). Empty if {@code fromInclusive} is not stored.
     */
    List<LogEntry> getLogs(long fromInclusive, long toInclusive, long maxBytes) throws IOException;

    /**
     * Appends entries, durably, with one flush for the whole batch (group commit).
     *
     * <p>The entries have consecutive indexes, and the first follows {@link #lastIndex()}
     * (or, on an empty log, follows the index given to {@link #reset}, or is any index if
     * neither was set). Callers truncate a conflicting suffix first.
     *
     * @throws IllegalArgumentException if the batch leaves a gap or overlaps stored entries
     * @throws IOException              if the entries could not be made durable
     */
    void storeLogs(List<LogEntry> entries) throws IOException;

    /** Deletes every entry after {@code lastIndexKept}, durably: the suffix (lastIndexKept, last]. */
    void truncateSuffix(long lastIndexKept) throws IOException;

    /**
     * Discards entries before {@code firstIndexKept}: the prefix [first, firstIndexKept).
     * May keep some of them readable for a while (whole segments are dropped at once).
     * Entries at or after {@code firstIndexKept} are untouched.
     */
    void truncatePrefix(long firstIndexKept) throws IOException;

    /**
     * Discards the whole log, durably, so that the next stored entry has index
     * {@code nextIndex} (used after installing a snapshot that is ahead of the log).
     */
    void reset(long nextIndex) throws IOException;

    /** Releases files and memory. Idempotent. */
    @Override
    void close() throws IOException;
}
