package dev.skiff.raft.core;

/**
 * The AppendEntries messages in flight to one follower, for flow control (after etcd's
 * {@code tracker/Inflights}): a ring of the last index each message carried. A leader that is
 * pipelining stops sending when the ring is full and frees slots as acknowledgements arrive.
 */
final class Inflights {

    private final long[] lastIndexes;
    private int start;
    private int count;

    Inflights(int capacity) {
        this.lastIndexes = new long[capacity];
    }

    boolean full() {
        return count == lastIndexes.length;
    }

    int count() {
        return count;
    }

    /** Records a message whose last entry is {@code lastIndex} (non-decreasing). */
    void add(long lastIndex) {
        if (full()) {
            throw new IllegalStateException("inflight window is full");
        }
        int slot = (start + count) % lastIndexes.length;
        lastIndexes[slot] = lastIndex;
        count++;
    }


    /** Frees every message whose last index is at most {@code acked}. */
    void freeUpTo(long acked) {
        while (count > 0 && lastIndexes[start] <= acked) {
            start = (start + 1) % lastIndexes.length;
            count--;
        }
    }

    /** Frees the oldest message (its acknowledgement was presumably lost). */
    void freeFirstOne() {
        if (count > 0) {
            start = (start + 1) % lastIndexes.length;
            count--;
        }
    }

    void reset() {
        start = 0;
        count = 0;
    }
}
