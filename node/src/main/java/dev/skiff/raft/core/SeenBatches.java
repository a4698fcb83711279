package dev.skiff.raft.core;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The forwarded batches a server has taken or refused, per sender, so that a batch the
 * transport delivers twice is not appended twice. Batch ids count up within a sender process
 * ({@code epoch}) but may arrive out of order (several requests in flight): every id within a
 * window below the highest one seen is remembered; an id below the window cannot be told from a
 * repeat and is ignored too (its sender's commands then time out with the outcome unknown).
 */
final class SeenBatches {

    /** How many ids below the highest one are remembered: far more than can be in flight at once. */
    static final int WINDOW = 4096;

    private static final class Sender {
        final long epoch;
        long highest;
        final TreeSet<Long> recent = new TreeSet<>();

        Sender(long epoch) {
            this.epoch = epoch;
        }
    }

    private final Map<String, Sender> senders = new HashMap<>();

    /** True the first time {@code batchId} of {@code from}'s process {@code epoch} is seen. */
    boolean firstTime(String from, long epoch, long batchId) {
        Sender s = senders.get(from);
        if (s == null || s.epoch != epoch) {
            s = new Sender(epoch);
            senders.put(from, s);
        }
        if (batchId <= s.highest - WINDOW || !s.recent.add(batchId)) {
            return false;
        }
        if (batchId > s.highest) {
            s.highest = batchId;
            while (s.recent.first() <= s.highest - WINDOW) {
                s.recent.pollFirst();
            }
        }
        return true;
    }
}
