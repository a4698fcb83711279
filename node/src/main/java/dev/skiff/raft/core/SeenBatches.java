package dev.skiff.raft.core;

import dev.skiff.raft.message.ForwardedProposalsResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The forwarded batches a server has taken or refused, and what it answered, per sender, so
 * that a batch that arrives twice (the transport repeated it, or the sender sent it again) gets
 * the first answer again and is never appended twice. Batch ids count up within a sender process
 * ({@code epoch}) but may arrive out of order (several requests in flight): every id within a
 * window below the highest one seen is remembered; an id below the window cannot be told from a
 * repeat and is ignored (its sender's commands then time out with the outcome unknown).
 */
final class SeenBatches {

    /** How many ids below the highest one are remembered: far more than can be in flight at once. */
    static final int WINDOW = 4096;

    private static final class Sender {
        final long epoch;
        long highest;
        final TreeMap<Long, ForwardedProposalsResponse> recent = new TreeMap<>();

        Sender(long epoch) {
            this.epoch = epoch;
        }
    }

    private final Map<String, Sender> senders = new HashMap<>();

    /** The answer given to {@code batchId} of {@code from}'s process {@code epoch}, or null if none is remembered. */
    ForwardedProposalsResponse answerGiven(String from, long epoch, long batchId) {
        Sender s = senders.get(from);
        return s == null || s.epoch != epoch ? null : s.recent.get(batchId);
    }

    /** True if {@code batchId} could be new: not remembered, and not below the window. */
    boolean mayBeNew(String from, long epoch, long batchId) {
        Sender s = senders.get(from);
        return s == null || s.epoch != epoch || (batchId > s.highest - WINDOW && !s.recent.containsKey(batchId));
    }

    /** Remembers {@code answer} as the one given to the batch. */
    void remember(String from, long epoch, long batchId, ForwardedProposalsResponse answer) {
        Sender s = senders.get(from);
        if (s == null || s.epoch != epoch) {
            s = new Sender(epoch);
            senders.put(from, s);
        }
        s.recent.put(batchId, answer);
        if (batchId > s.highest) {
            s.highest = batchId;
            while (s.recent.firstKey() <= s.highest - WINDOW) {
                s.recent.pollFirstEntry();
            }
        }
    }
}
