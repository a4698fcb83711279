package dev.skiff.wal;

import dev.skiff.raft.LogEntry;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The most recently appended entries, so that replication and apply (which read just behind
 * the writer) never touch the disk. Bounded by an entry count (a ring of slots) and by the sum
 * of payload bytes.
 *
 * <p><b>Threading.</b> {@link #put}, {@link #removeAfter} and {@link #clear} are called by the
 * log's writer only; {@link #get} by any thread, without locks: a slot holds either the entry
 * asked for or something else, which {@code get} recognises by its index. The caller decides
 * whether an index is still part of the log.
 */
final class TailCache {

    private final AtomicReferenceArray<LogEntry> slots;
    private final int mask;
    private final long maxBytes;
    /** Writer-only: the cached range is [oldest, newest], every slot in it filled. */
    private long oldest = 1;
    private long newest;
    private long bytes;

    /** @param capacity entries kept at most (rounded up to a power of two); 0 disables the cache */
    TailCache(int capacity, long maxBytes) {
        int slotsNeeded = capacity <= 0 ? 1 : Integer.highestOneBit(capacity - 1) << 1;
        this.slots = new AtomicReferenceArray<>(Math.max(1, slotsNeeded));
        this.mask = slots.length() - 1;
        this.maxBytes = capacity <= 0 ? -1 : maxBytes;
    }

    /** The cached entry at {@code index}, or null. */
    LogEntry get(long index) {
        LogEntry e = slots.get((int) (index & mask));
        return e != null && e.index() == index ? e : null;
    }

    /** Caches the next entry of the log (its index follows the previous put, or starts a new range). */
    void put(LogEntry entry) {
        if (entry.index() != newest + 1 || newest < oldest) {
            clear();
            oldest = entry.index();
        }
        while (newest >= oldest && (newest - oldest + 1 > mask || bytes + entry.data().length > maxBytes)) {
            evictOldest();
        }
        if (entry.data().length > maxBytes) {
            clear();
            oldest = entry.index() + 1;
            newest = entry.index();
            return;
        }
        slots.set((int) (entry.index() & mask), entry);
        newest = entry.index();
        bytes += entry.data().length;
    }

    /** Forgets every entry after {@code lastIndexKept}. */
    void removeAfter(long lastIndexKept) {
        while (newest >= oldest && newest > lastIndexKept) {
            LogEntry e = slots.getAndSet((int) (newest & mask), null);
            if (e != null) {
                bytes -= e.data().length;
            }
            newest--;
        }
    }

    /** Forgets every entry. */
    void clear() {
        for (long i = oldest; i <= newest; i++) {
            slots.set((int) (i & mask), null);
        }
        bytes = 0;
        oldest = 1;
        newest = 0;
    }

    private void evictOldest() {
        LogEntry e = slots.getAndSet((int) (oldest & mask), null);
        if (e != null) {
            bytes -= e.data().length;
        }
        oldest++;
    }
}
