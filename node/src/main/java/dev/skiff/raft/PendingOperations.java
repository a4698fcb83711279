package dev.skiff.raft;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The loop's client operations that wait on the core: proposals (commands, barriers,
 * membership changes) by log index, reads by request id, and a leadership transfer. Owned by
 * the loop thread. A proposal leaves this table when its entry commits: it then travels with the
 * entry to the {@link FsmRunner}, which completes it as it applies, so no map is shared by two
 * threads.
 */
final class PendingOperations {

    /**
     * A proposal waiting for its entry.
     *
     * @param future completed with an {@link ApplyResult} (commands) or the index (others)
     * @param term   the term in which it was proposed: an entry of another term at its index replaced it
     * @param type   the entry's type
     */
    record Proposal(CompletableFuture<Object> future, long term, LogType type) {
    }

    /** A read waiting for the core to confirm its index. */
    record PendingRead(CompletableFuture<Long> future, boolean waitForApply) {
    }

    private final Map<Long, Proposal> proposals = new HashMap<>();
    private final Map<Long, PendingRead> reads = new HashMap<>();
    private long nextReadId = 1;
    private CompletableFuture<Void> transfer;

    int proposalCount() {
        return proposals.size();
    }

    /** Adds {@code p} at {@code index}; returns the proposal it displaced there, if any. */
    Proposal addProposal(long index, Proposal p) {
        return proposals.put(index, p);
    }

    /** The proposals of {@code entries} (null where an entry has none), removed from the table. */
    List<Proposal> takeProposals(List<LogEntry> entries) {
        if (proposals.isEmpty()) {
            return null;
        }
        List<Proposal> out = null;
        for (int i = 0; i < entries.size(); i++) {
            Proposal p = proposals.remove(entries.get(i).index());
            if (p != null) {
                if (out == null) {
                    out = new ArrayList<>(entries.size());
                    for (int k = 0; k < i; k++) {
                        out.add(null);
                    }
                }
                out.add(p);
            } else if (out != null) {
                out.add(null);
            }
        }
        if (out != null) {
            while (out.size() < entries.size()) {
                out.add(null);
            }
        }
        return out;
    }

    long addRead(CompletableFuture<Long> future, boolean waitForApply) {
        long id = nextReadId++;
        reads.put(id, new PendingRead(future, waitForApply));
        return id;
    }

    PendingRead takeRead(long id) {
        return reads.remove(id);
    }

    void setTransfer(CompletableFuture<Void> future) {
        transfer = future;
    }

    CompletableFuture<Void> takeTransfer() {
        CompletableFuture<Void> t = transfer;
        transfer = null;
        return t;
    }

    /** Fails every proposal with {@code proposalError} and every read with {@code readError}. */
    void failAll(RaftException proposalError, RaftException readError) {
        proposals.values().forEach(p -> p.future().completeExceptionally(proposalError));
        proposals.clear();
        reads.values().forEach(r -> r.future().completeExceptionally(readError));
        reads.clear();
    }
}
