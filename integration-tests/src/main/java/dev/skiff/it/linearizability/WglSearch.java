package dev.skiff.it.linearizability;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Wing–Gong–Lowe search for a linearization of one key's history.
 *
 * <h2>Algorithm [1][2]</h2>
 * The history is a list of call and return entries ordered by time (a call before a return
 * at the same instant, so equal timestamps count as concurrent). Walking the list from its
 * head, a call entry whose operation the model accepts in the current state is
 * <em>linearized</em>: its call and return entries are unlinked (dancing links), the previous
 * state is pushed, and the walk restarts at the head. Reaching a return entry means that
 * operation should already have been linearized: the last choice is undone and the walk
 * continues after it. The history is linearizable when every required operation (one with a
 * definite result) is linearized, and is not when the stack is empty at a return entry.
 *
 * <h2>Unknown outcomes</h2>
 * Such operations have a call entry and no return entry, so nothing ever forces them; the
 * search may linearize them anywhere after their invocation, or never. With an
 * unknown-outcome window, one is no longer a candidate once an operation invoked after its
 * deadline ({@link KeyHistory#expiresAt}) is linearized. At each point the required
 * candidates are tried before the unknown ones (the walk makes two passes), so that "without
 * this unknown write" is explored before "with it".
 *
 * <h2>Pruning</h2>
 * A configuration is (linearized required set R, linearized unknown set U, state s). C'
 * <em>dominates</em> C when R' = R, U' ⊆ U and s' allows everything s does ({@link
 * RegisterState#dominates}: same value and index, floor no higher): every completion of C is
 * one of C' (an unknown operation not yet linearized may still be, or never be). Four rules
 * cut the search; each only drops a configuration when a visited or still-to-be-tried one
 * has a completion as short as any of its own (by dominance, or up to swapping two
 * interchangeable operations), which keeps the search complete (induction on the length of
 * the shortest completion).
 * <ol>
 *   <li><b>Memoization</b> [2][3], extended to dominance: a configuration is dropped when a
 *       visited one dominates it. Plain equality is the classic memo table; dominance also
 *       catches an unknown write whose effect was overwritten, which would otherwise double
 *       the space a failing search must exhaust, per such write.
 *   <li><b>Unchanging operations go first</b>: when a required candidate would leave the state
 *       exactly as it is (a read of the current value with its known index, a 412 reporting
 *       it, a delete of an absent key), it is linearized at once and no other branch is tried
 *       at that point. If any completion exists, one starts with it: moving an operation that
 *       changes nothing to the front changes no other operation's view, and as a candidate it
 *       need not follow any pending operation (with a window, also only if it was invoked by
 *       the deadlines of the optional operations it moves ahead of). This removes the orderings
 *       of concurrent reads, which otherwise dominate the search space with many clients.
 *   <li><b>No operation right after an unknown one it ignores</b>: if linearizing it straight
 *       from the state before the unknown operation is allowed and leads to a dominating state
 *       (a put overwrites it, a delete removes it, a CAS that matches anyway), the branch one
 *       level up dominates this one. Without this rule each pending unknown write that never
 *       took effect is tried before every later operation, in every combination.
 *   <li><b>Twins</b>: of two optional candidates making the same request (written values no
 *       get returns count as equal, see {@link KeyHistory#requests}), only the one invoked
 *       and expiring no later is tried: any completion after the other maps to one after it,
 *       with the roles swapped.
 * </ol>
 *
 * <p>The set of linearized required operations is stored compactly (see {@link
 * RequiredSet}), so a few thousand operations cost tens of bytes per entry, not a bitset of
 * the whole history.
 *
 * <p>For reports the search keeps the partial linearization with the most required
 * operations.
 *
 * <p>[1] J. Wing, C. Gong, "Testing and verifying concurrent objects", JPDC 1993.
 * [2] G. Lowe, "Testing for linearizability", CCPE 2017.
 * [3] A. Athalye, Porcupine (github.com/anishathalye/porcupine), checker.go.
 *
 * <p>Not thread-safe; one instance per search.
 */
final class WglSearch {

    /** How a search ended. */
    enum Status { LINEARIZABLE, NOT_LINEARIZABLE, BUDGET_EXHAUSTED }

    /**
     * The search's answer.
     *
     * @param deepestPath the first partial linearization reached that holds the most required
     *     operations, as indexes into the key history, in linearization order
     */
    record Result(Status status, int[] deepestPath) {
    }

    private static final int NIL = -1;
    private static final int HEAD = 0;

    private final KeyHistory history;
    private final Budget.Meter meter;
    private final int n;

    // The doubly linked entry list: node 0 is the head, nodes 1..E the entries in time order.
    private final int[] next;
    private final int[] prev;
    private final int[] nodeOp;
    private final boolean[] nodeIsCall;
    private final int[] callNode;
    private final int[] returnNode;

    // Linearized required operations, by history index; linearized unknown ones, by ordinal.
    private final long[] requiredDone;
    private final long[] requiredMask;
    private final int[] unknownOrdinal;
    private final long[] unknownDone;

    private WglSearch(KeyHistory history, Budget.Meter meter) {
        this.history = history;
        this.meter = meter;
        this.n = history.size();
        int entries = n + history.requiredCount;
        Integer[] order = new Integer[entries];
        long[] time = new long[entries];
        int[] op = new int[entries];
        boolean[] isCall = new boolean[entries];
        int e = 0;
        for (int i = 0; i < n; i++) {
            time[e] = history.callAt[i];
            op[e] = i;
            isCall[e] = true;
            order[e] = e;
            e++;
            if (history.required[i]) {
                time[e] = history.returnAt[i];
                op[e] = i;
                order[e] = e;
                e++;
            }
        }
        Arrays.sort(order, (a, b) -> {
            int byTime = Long.compare(time[a], time[b]);
            if (byTime != 0) {
                return byTime;
            }
            int callsFirst = Boolean.compare(!isCall[a], !isCall[b]);
            return callsFirst != 0 ? callsFirst : Integer.compare(op[a], op[b]);
        });
        next = new int[entries + 1];
        prev = new int[entries + 1];
        nodeOp = new int[entries + 1];
        nodeIsCall = new boolean[entries + 1];
        callNode = new int[n];
        returnNode = new int[n];
        Arrays.fill(returnNode, NIL);
        for (int k = 0; k < entries; k++) {
            int node = k + 1;
            int entry = order[k];
            nodeOp[node] = op[entry];
            nodeIsCall[node] = isCall[entry];
            if (isCall[entry]) {
                callNode[op[entry]] = node;
            } else {
                returnNode[op[entry]] = node;
            }
            prev[node] = node - 1;
            next[node - 1] = node;
        }
        next[entries] = NIL;

        requiredDone = new long[(n + 63) / 64];
        requiredMask = new long[requiredDone.length];
        unknownOrdinal = new int[n];
        int unknowns = 0;
        for (int i = 0; i < n; i++) {
            if (history.required[i]) {
                requiredMask[i >>> 6] |= 1L << i;
                unknownOrdinal[i] = NIL;
            } else {
                unknownOrdinal[i] = unknowns++;
            }
        }
        unknownDone = new long[(unknowns + 63) / 64];
    }

    /** Searches {@code history} for a linearization, counting steps on {@code meter}. */
    static Result run(KeyHistory history, Budget.Meter meter) {
        return new WglSearch(history, meter).search();
    }

    private Result search() {
        Map<RequiredSet, List<Visit>> seen = new HashMap<>();
        int[] stackOp = new int[n];
        // pathMaxCall[d]: the latest invocation among the first d linearized operations.
        long[] pathMaxCall = new long[n + 1];
        pathMaxCall[0] = Long.MIN_VALUE;
        RegisterState[] stackState = new RegisterState[n];
        boolean[] stackForced = new boolean[n];
        int depth = 0;
        RegisterState state = RegisterState.INITIAL;
        int requiredLeft = history.requiredCount;
        // The first path to linearize the most required operations; unknown ones do not count,
        // so the report does not blame an unknown write that the search merely tried.
        int deepestRequired = 0;
        int[] deepestPath = new int[0];

        int node = NIL;
        boolean requiredPass = false;
        boolean fresh = true;
        while (requiredLeft > 0) {
            int op = NIL;
            boolean forced = false;
            if (fresh) {
                fresh = false;
                op = unchangingCandidate(state, pathMaxCall[depth]);
                forced = op != NIL;
                if (!forced) {
                    node = next[HEAD];
                    requiredPass = true;
                    continue;
                }
            } else if (node == NIL || !nodeIsCall[node]) {
                // The end of the candidates: every call before the first pending return.
                if (requiredPass) {
                    requiredPass = false;
                    node = next[HEAD];
                    continue;
                }
                // A required operation returned before we linearized it: undo the last choice.
                if (depth == 0) {
                    return new Result(Status.NOT_LINEARIZABLE, deepestPath);
                }
                depth--;
                int undone = stackOp[depth];
                state = stackState[depth];
                mark(undone, false);
                if (history.required[undone]) {
                    requiredLeft++;
                }
                unlift(undone);
                if (stackForced[depth]) {
                    // A forced step was the only branch worth trying at its level: keep undoing.
                    node = NIL;
                    requiredPass = false;
                } else {
                    node = next[callNode[undone]];
                    requiredPass = history.required[undone];
                }
                continue;
            } else {
                op = nodeOp[node];
                node = next[node];
                if (history.required[op] != requiredPass || pathMaxCall[depth] > history.expiresAt[op]
                        || (!requiredPass && hasPreferredTwin(op, pathMaxCall[depth]))) {
                    // Not this pass; or optional and either expired (it would follow an operation
                    // invoked after its deadline) or a twin of a better candidate (rule 4).
                    continue;
                }
            }

            if (!meter.attempt()) {
                return new Result(Status.BUDGET_EXHAUSTED, deepestPath);
            }
            RegisterState after = forced
                    ? state
                    : RegisterModel.step(state, history.requests[op], history.outcomes[op], null);
            boolean pruned = after == null
                    || (depth > 0 && ignoresUnknown(op, after, stackOp[depth - 1], stackState[depth - 1]));
            if (!pruned) {
                mark(op, true);
                pruned = !visit(seen, after);
                if (pruned) {
                    mark(op, false);
                }
            }
            if (pruned) {
                if (forced) {
                    // The forced step was the only branch needed here, and it is covered elsewhere.
                    node = NIL;
                    requiredPass = false;
                }
                continue;
            }
            if (!meter.step()) {
                return new Result(Status.BUDGET_EXHAUSTED, deepestPath);
            }
            stackOp[depth] = op;
            stackState[depth] = state;
            pathMaxCall[depth + 1] = Math.max(pathMaxCall[depth], history.callAt[op]);
            stackForced[depth] = forced;
            depth++;
            state = after;
            if (history.required[op]) {
                requiredLeft--;
            }
            lift(op);
            if (history.requiredCount - requiredLeft > deepestRequired) {
                deepestRequired = history.requiredCount - requiredLeft;
                deepestPath = Arrays.copyOf(stackOp, depth);
            }
            fresh = true;
        }
        return new Result(Status.LINEARIZABLE, Arrays.copyOf(stackOp, depth));
    }

    /**
     * Whether {@code op}, linearized right after the unknown-outcome operation {@code previous}
     * (from {@code before}) to reach {@code after}, would reach the same state without it: then
     * the branch that linearizes {@code op} one level up reaches the same state with {@code
     * previous} still optional, which allows everything this branch does (see the notes).
     */
    private boolean ignoresUnknown(int op, RegisterState after, int previous, RegisterState before) {
        if (history.required[previous]) {
            return false;
        }
        RegisterState without = RegisterModel.step(before, history.requests[op], history.outcomes[op], null);
        return without != null && without.dominates(after);
    }

    /**
     * Whether another optional candidate, not expired, makes the same request as {@code op},
     * invoked no later and expiring no later (ties: the lower index): linearizing that twin
     * instead reaches the same state and leaves {@code op}, the more flexible of the two,
     * optional.
     */
    private boolean hasPreferredTwin(int op, long pathMaxCall) {
        for (int node = next[HEAD]; node != NIL && nodeIsCall[node]; node = next[node]) {
            int twin = nodeOp[node];
            if (twin != op && !history.required[twin] && history.expiresAt[twin] >= pathMaxCall
                    && history.requests[twin].equals(history.requests[op])
                    && history.callAt[twin] <= history.callAt[op] && history.expiresAt[twin] <= history.expiresAt[op]
                    && (twin < op || history.callAt[twin] < history.callAt[op]
                            || history.expiresAt[twin] < history.expiresAt[op])) {
                return true;
            }
        }
        return false;
    }

    /**
     * A candidate with a definite result that leaves {@code state} exactly as it is (a read of
     * the current value and known index, a 412 reporting it, a delete of an absent key), or
     * NIL. Linearizing it now is never worse than later (see the notes), so it is the only
     * branch the search needs to try.
     *
     * <p>With an unknown-outcome window, moving an operation forward also puts it before the
     * optional operations it used to follow, which is only allowed if it was invoked by their
     * deadlines; so only candidates invoked by the earliest deadline of the optional
     * operations still open qualify ({@code pathMaxCall} tells which have expired).
     */
    private int unchangingCandidate(RegisterState state, long pathMaxCall) {
        // Only optional operations invoked before a candidate can be moved behind it, and in
        // time order they all come before it in the list; later ones have later deadlines.
        long earliestDeadline = Long.MAX_VALUE;
        for (int node = next[HEAD]; node != NIL && nodeIsCall[node]; node = next[node]) {
            int op = nodeOp[node];
            if (!history.required[op]) {
                if (history.expiresAt[op] >= pathMaxCall) {
                    earliestDeadline = Math.min(earliestDeadline, history.expiresAt[op]);
                }
            } else if (history.callAt[op] <= earliestDeadline
                    && state.equals(RegisterModel.step(state, history.requests[op], history.outcomes[op], null))) {
                return op;
            }
        }
        return NIL;
    }

    /**
     * Records the current configuration with {@code state}; false if it is pruned, because a
     * configuration that dominates it was visited before (see the notes).
     */
    private boolean visit(Map<RequiredSet, List<Visit>> seen, RegisterState state) {
        List<Visit> visits = seen.computeIfAbsent(requiredSet(state.withFloor(0)), k -> new ArrayList<>(1));
        for (Visit v : visits) {
            if (v.floor <= state.floor() && isSubset(v.unknownDone, unknownDone)) {
                return false;
            }
        }
        visits.add(new Visit(unknownDone.clone(), state.floor()));
        return true;
    }

    private static boolean isSubset(long[] sub, long[] of) {
        for (int w = 0; w < sub.length; w++) {
            if ((sub[w] & ~of[w]) != 0) {
                return false;
            }
        }
        return true;
    }

    private void mark(int op, boolean linearized) {
        int ordinal = unknownOrdinal[op];
        long[] words = ordinal == NIL ? requiredDone : unknownDone;
        int bit = ordinal == NIL ? op : ordinal;
        if (linearized) {
            words[bit >>> 6] |= 1L << bit;
        } else {
            words[bit >>> 6] &= ~(1L << bit);
        }
    }

    private void lift(int op) {
        unlink(callNode[op]);
        if (returnNode[op] != NIL) {
            unlink(returnNode[op]);
        }
    }

    /** Undoes {@link #lift}: relinks in the reverse order of unlinking. */
    private void unlift(int op) {
        if (returnNode[op] != NIL) {
            relink(returnNode[op]);
        }
        relink(callNode[op]);
    }

    private void unlink(int node) {
        next[prev[node]] = next[node];
        if (next[node] != NIL) {
            prev[next[node]] = prev[node];
        }
    }

    private void relink(int node) {
        next[prev[node]] = node;
        if (next[node] != NIL) {
            prev[next[node]] = node;
        }
    }

    /**
     * The linearized required operations with {@code state}, compactly: the frontier f is the
     * first required operation (in invocation order) not yet linearized, so all required ones
     * before it are linearized; after it only operations invoked before f's completion can be
     * (real-time order), and those are listed. The key stays small however long the history.
     */
    private RequiredSet requiredSet(RegisterState state) {
        int words = requiredDone.length;
        int frontier = n;
        int frontierWord = words;
        for (int w = 0; w < words; w++) {
            long pending = ~requiredDone[w] & requiredMask[w];
            if (pending != 0) {
                frontier = (w << 6) + Long.numberOfTrailingZeros(pending);
                frontierWord = w;
                break;
            }
        }
        int count = 0;
        for (int w = frontierWord; w < words; w++) {
            count += Long.bitCount(requiredDone[w]);
        }
        int[] extras = new int[count];
        int k = 0;
        for (int w = frontierWord; w < words; w++) {
            long bits = requiredDone[w];
            while (bits != 0) {
                extras[k++] = (w << 6) + Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
            }
        }
        // Bits of the frontier's word below the frontier are linearized by definition: drop them.
        int skip = 0;
        while (skip < extras.length && extras[skip] < frontier) {
            skip++;
        }
        return new RequiredSet(frontier, skip == 0 ? extras : Arrays.copyOfRange(extras, skip, extras.length), state);
    }

    /** One visited configuration, beyond its key: the linearized unknown operations and the state's floor. */
    private record Visit(long[] unknownDone, long floor) {
    }

    /** A memo-table key: the linearized required operations (as frontier and extras) and a model state. */
    private static final class RequiredSet {
        private final int frontier;
        private final int[] extras;
        private final RegisterState state;
        private final int hash;

        RequiredSet(int frontier, int[] extras, RegisterState state) {
            this.frontier = frontier;
            this.extras = extras;
            this.state = state;
            this.hash = 31 * (31 * frontier + Arrays.hashCode(extras)) + state.hashCode();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof RequiredSet c && hash == c.hash && frontier == c.frontier
                    && Arrays.equals(extras, c.extras) && state.equals(c.state);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
