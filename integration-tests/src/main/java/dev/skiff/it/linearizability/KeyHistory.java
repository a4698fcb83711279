package dev.skiff.it.linearizability;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The operations on one key, prepared for {@link WglSearch}: failed operations and gets with
 * an unknown outcome are dropped (they cannot affect the key), the rest are indexed by
 * invocation order, and operations with an unknown outcome get a completion time of
 * +infinity ({@link Long#MAX_VALUE}) and are optional (see {@link #expiresAt} for the
 * optional unknown-outcome window).
 *
 * <p>Immutable.
 */
final class KeyHistory {

    private static final Outcome PENDING_AT_CUT = new Outcome.Unknown("still pending at the cut");

    final String key;
    /** The operations that take part, ordered by invocation time (then id). */
    final Operation[] ops;
    /**
     * The requests the search uses: those of {@link #ops}, except that a written value no get
     * in this history returns is replaced by {@link #unreadValue}. Such values are never
     * compared with anything, so writes that differ only in them are interchangeable, and
     * the search treats them so (the reports use the real values).
     */
    final KvOp[] requests;
    /** A value no get returns, standing for every value no get returns. */
    final String unreadValue;
    /** The outcome the search uses: the recorded one, or Unknown for operations cut off by a prefix. */
    final Outcome[] outcomes;
    final long[] callAt;
    /** Completion time; {@link Long#MAX_VALUE} for operations with an unknown outcome. */
    final long[] returnAt;
    /** Whether the operation must be linearized (it completed with a definite result). */
    final boolean[] required;
    /**
     * For optional operations, the time by which they must have taken effect if they did:
     * their real completion for operations cut off by a prefix, else the unknown outcome's
     * completion plus the window ({@link Long#MAX_VALUE} without one).
     */
    final long[] expiresAt;
    private final long windowNanos;
    final int requiredCount;

    private KeyHistory(String key, List<Operation> sorted, List<Outcome> effective, long windowNanos) {
        this.key = key;
        this.windowNanos = windowNanos;
        int n = sorted.size();
        this.ops = sorted.toArray(new Operation[0]);
        this.outcomes = effective.toArray(new Outcome[0]);
        Set<String> read = new HashSet<>();
        for (Outcome outcome : outcomes) {
            if (outcome instanceof Outcome.Ok(KvResult.Found found)) {
                read.add(found.value());
            }
        }
        String token = "<unread>";
        while (read.contains(token)) {
            token = token + "'";
        }
        this.unreadValue = token;
        this.requests = new KvOp[n];
        for (int i = 0; i < n; i++) {
            requests[i] = switch (ops[i].op()) {
                case KvOp.Put put when !read.contains(put.value()) -> new KvOp.Put(put.key(), token);
                case KvOp.Cas cas when !read.contains(cas.value()) ->
                        new KvOp.Cas(cas.key(), cas.expectedModifyIndex(), token);
                case KvOp.Acquire acquire when !read.contains(acquire.value()) ->
                        new KvOp.Acquire(acquire.key(), acquire.session(), token);
                case KvOp.Release release when !read.contains(release.value()) ->
                        new KvOp.Release(release.key(), release.session(), token);
                case KvOp other -> other;
            };
        }
        this.callAt = new long[n];
        this.returnAt = new long[n];
        this.required = new boolean[n];
        this.expiresAt = new long[n];
        int count = 0;
        for (int i = 0; i < n; i++) {
            callAt[i] = ops[i].invokedAt();
            required[i] = outcomes[i] instanceof Outcome.Ok;
            returnAt[i] = required[i] ? ops[i].completedAt() : Long.MAX_VALUE;
            expiresAt[i] = required[i] ? Long.MAX_VALUE
                    : ops[i].outcome() instanceof Outcome.Ok ? ops[i].completedAt()
                    : saturatedAdd(ops[i].completedAt(), windowNanos);
            count += required[i] ? 1 : 0;
        }
        this.requiredCount = count;
    }

    /**
     * Prepares the operations of {@code key} (all of {@code operations} must be on it); an
     * operation with an unknown outcome can take effect until {@code windowNanos} after its
     * recorded completion ({@link Long#MAX_VALUE}: at any time).
     */
    static KeyHistory of(String key, List<Operation> operations, long windowNanos) {
        return build(key, operations, Long.MAX_VALUE, windowNanos);
    }

    /**
     * The prefix of this history up to {@code cut}: operations invoked at or before it, where
     * those that completed after it are pending (unknown outcome). If the prefix is not
     * linearizable, neither is the whole history.
     */
    KeyHistory prefix(long cut) {
        return build(key, Arrays.asList(ops), cut, windowNanos);
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

    private static KeyHistory build(String key, List<Operation> operations, long cut, long windowNanos) {
        List<Operation> kept = new ArrayList<>();
        for (Operation op : operations) {
            if (op.invokedAt() <= cut && !(effectiveOutcome(op, cut) instanceof Outcome.Failed)
                    && !(op.op() instanceof KvOp.Get && !(effectiveOutcome(op, cut) instanceof Outcome.Ok))) {
                kept.add(op);
            }
        }
        kept.sort(Comparator.comparingLong(Operation::invokedAt).thenComparingInt(Operation::id));
        List<Outcome> effective = kept.stream().map(op -> effectiveOutcome(op, cut)).toList();
        return new KeyHistory(key, kept, effective, windowNanos);
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    private static Outcome effectiveOutcome(Operation op, long cut) {
        if (op.outcome() instanceof Outcome.Ok && op.completedAt() > cut) {
            return PENDING_AT_CUT;
        }
        return op.outcome();
    }
}
