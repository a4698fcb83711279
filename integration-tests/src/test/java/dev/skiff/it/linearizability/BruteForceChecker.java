package dev.skiff.it.linearizability;

import java.util.ArrayList;
import java.util.List;

/**
 * A deliberately naive linearizability check for tiny single-key histories, to test {@link
 * WglSearch} against: it tries every order that respects real time (no memo, no linked
 * lists), with the same {@link RegisterModel}.
 */
final class BruteForceChecker {

    private BruteForceChecker() {
    }

    static boolean isLinearizable(List<Operation> history) {
        return isLinearizable(history, Long.MAX_VALUE);
    }

    /** With an unknown-outcome window: such an operation takes effect by its completion plus the window, or never. */
    static boolean isLinearizable(List<Operation> history, long windowNanos) {
        List<Operation> ops = new ArrayList<>();
        for (Operation op : history) {
            boolean failed = op.outcome() instanceof Outcome.Failed;
            boolean unknownGet = op.op() instanceof KvOp.Get && op.outcome() instanceof Outcome.Unknown;
            if (!failed && !unknownGet) {
                ops.add(op);
            }
        }
        return search(ops, new boolean[ops.size()], RegisterState.INITIAL, windowNanos);
    }

    private static boolean search(List<Operation> ops, boolean[] done, RegisterState state, long windowNanos) {
        boolean allRequiredDone = true;
        for (int i = 0; i < ops.size(); i++) {
            if (!done[i] && ops.get(i).outcome() instanceof Outcome.Ok) {
                allRequiredDone = false;
            }
        }
        if (allRequiredDone) {
            return true;
        }
        for (int i = 0; i < ops.size(); i++) {
            if (done[i] || !mayGoNext(ops, done, ops.get(i), windowNanos)) {
                continue;
            }
            RegisterState after = RegisterModel.step(state, ops.get(i).op(), ops.get(i).outcome(), null);
            if (after != null) {
                done[i] = true;
                boolean found = search(ops, done, after, windowNanos);
                done[i] = false;
                if (found) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * No pending operation with a definite result completed before {@code candidate} was
     * invoked, and, for an unknown outcome, no operation already placed was invoked after its
     * deadline.
     */
    private static boolean mayGoNext(List<Operation> ops, boolean[] done, Operation candidate, long windowNanos) {
        long deadline = candidate.outcome() instanceof Outcome.Unknown
                ? candidate.completedAt() + Math.min(windowNanos, Long.MAX_VALUE / 2)
                : Long.MAX_VALUE;
        for (int j = 0; j < ops.size(); j++) {
            Operation other = ops.get(j);
            if (!done[j] && other.outcome() instanceof Outcome.Ok && other.completedAt() < candidate.invokedAt()) {
                return false;
            }
            if (done[j] && other.invokedAt() > deadline) {
                return false;
            }
        }
        return true;
    }
}
