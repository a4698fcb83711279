package dev.skiff.raft.core;

import dev.skiff.raft.message.ForwardedProposalsResponse;
import java.util.ArrayDeque;
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
 *
 * <p><b>Restarts.</b> A sender that restarts sends under a new epoch while copies of its old
 * process's batches may still be on their way (delayed, or resent just before it stopped). The
 * records of the {@link #EPOCHS} processes of a sender heard from most recently are kept, each
 * with its own window, so such a copy gets its first answer again. Only a copy from a process
 * followed by {@link #EPOCHS} newer ones before it arrives could be taken for new. (Found by
 * simulation seed 1236: the records of a restarted follower's old process were dropped when its
 * new process's first batch arrived, and a delayed resend of an old batch was appended a second
 * time.)
 */
final class SeenBatches {

    /** How many ids below the highest one are remembered: far more than can be in flight at once. */
    static final int WINDOW = 4096;
    /** How many processes of one sender are remembered: restarts are seconds apart, copies in flight milliseconds. */
    static final int EPOCHS = 4;

    private static final class Sender {
        final long epoch;
        long highest;
        final TreeMap<Long, ForwardedProposalsResponse> recent = new TreeMap<>();

        Sender(long epoch) {
            this.epoch = epoch;
        }
    }

    /** Per sender id, its processes' records, the one heard from most recently first. */
    private final Map<String, ArrayDeque<Sender>> senders = new HashMap<>();

    private Sender find(String from, long epoch) {
        ArrayDeque<Sender> processes = senders.get(from);
        if (processes != null) {
            for (Sender s : processes) {
                if (s.epoch == epoch) {
                    return s;
                }
            }
        }
        return null;
    }

    /** The answer given to {@code batchId} of {@code from}'s process {@code epoch}, or null if none is remembered. */
    ForwardedProposalsResponse answerGiven(String from, long epoch, long batchId) {
        Sender s = find(from, epoch);
        return s == null ? null : s.recent.get(batchId);
    }

    /** True if {@code batchId} could be new: not remembered, and not below the window. */
    boolean mayBeNew(String from, long epoch, long batchId) {
        Sender s = find(from, epoch);
        return s == null || (batchId > s.highest - WINDOW && !s.recent.containsKey(batchId));
    }

    /** Remembers {@code answer} as the one given to the batch. */
    void remember(String from, long epoch, long batchId, ForwardedProposalsResponse answer) {
        ArrayDeque<Sender> processes = senders.computeIfAbsent(from, k -> new ArrayDeque<>());
        Sender s = find(from, epoch);
        if (s == null) {
            s = new Sender(epoch);
            if (processes.size() == EPOCHS) {
                processes.removeLast();
            }
            processes.addFirst(s);
        } else if (processes.peekFirst() != s) {
            processes.remove(s);
            processes.addFirst(s);
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
