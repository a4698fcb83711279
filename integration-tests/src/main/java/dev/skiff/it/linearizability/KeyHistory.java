package dev.skiff.it.linearizability;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The operations on one key, prepared for {@link WglSearch}: failed operations and gets with
 * an unknown outcome are dropped (they cannot affect the key), the rest are indexed by
 * invocation order, and operations with an unknown outcome get a completion time of
 * +infinity ({@link Long#MAX_VALUE}) and are optional.
 *
 * <p>Immutable.
 */
final class KeyHistory {

    private static final Outcome PENDING_AT_CUT = new Outcome.Unknown("still pending at the cut");

    final String key;
    /** The operations that take part, ordered by invocation time (then id). */
    final Operation[] ops;
    /** The outcome the search uses: the recorded one, or Unknown for operations cut off by a prefix. */
    final Outcome[] outcomes;
    final long[] callAt;
    /** Completion time; {@link Long#MAX_VALUE} for operations with an unknown outcome. */
    final long[] returnAt;
    /** Whether the operation must be linearized (it completed with a definite result). */
    final boolean[] required;
    final int requiredCount;

    private KeyHistory(String key, List<Operation> sorted, List<Outcome> effective) {
        this.key = key;
        int n = sorted.size();
        this.ops = sorted.toArray(new Operation[0]);
        this.outcomes = effective.toArray(new Outcome[0]);
        this.callAt = new long[n];
        this.returnAt = new long[n];
        this.required = new boolean[n];
        int count = 0;
        for (int i = 0; i < n; i++) {
            callAt[i] = ops[i].invokedAt();
            required[i] = outcomes[i] instanceof Outcome.Ok;
            returnAt[i] = required[i] ? ops[i].completedAt() : Long.MAX_VALUE;
            count += required[i] ? 1 : 0;
        }
        this.requiredCount = count;
    }

    /** Prepares the operations of {@code key} (all of {@code operations} must be on it). */
    static KeyHistory of(String key, List<Operation> operations) {
        return build(key, operations, Long.MAX_VALUE);
    }

    /**
     * The prefix of this history up to {@code cut}: operations invoked at or before it, where
     * those that completed after it are pending (unknown outcome). If the prefix is not
     * linearizable, neither is the whole history.
     */
    KeyHistory prefix(long cut) {
        return build(key, Arrays.asList(ops), cut);
    }

    /** The completion times of the required operations, ascending: the useful prefix cuts. */
    long[] requiredCompletionTimes() {
        long[] times = new long[requiredCount];
        int j = 0;
        for (int i = 0; i < ops.length; i++) {
            if (required[i]) {
                times[j++] = returnAt[i];
            }
        }
        Arrays.sort(times);
        return times;
    }

    int size() {
        return ops.length;
    }

    private static KeyHistory build(String key, List<Operation> operations, long cut) {
        List<Operation> kept = new ArrayList<>();
        for (Operation op : operations) {
            if (op.invokedAt() <= cut && !(effectiveOutcome(op, cut) instanceof Outcome.Failed)
                    && !(op.op() instanceof KvOp.Get && !(effectiveOutcome(op, cut) instanceof Outcome.Ok))) {
                kept.add(op);
            }
        }
        kept.sort(Comparator.comparingLong(Operation::invokedAt).thenComparingInt(Operation::id));
        List<Outcome> effective = kept.stream().map(op -> effectiveOutcome(op, cut)).toList();
        return new KeyHistory(key, kept, effective);
    }

    private static Outcome effectiveOutcome(Operation op, long cut) {
        if (op.outcome() instanceof Outcome.Ok && op.completedAt() > cut) {
            return PENDING_AT_CUT;
        }
        return op.outcome();
    }
}
