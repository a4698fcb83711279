package dev.skiff.it.linearizability;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * The Wing–Gong–Lowe search for a linearization of one key's history.
 *
 * <p>Implementation notes.
 *
 * <p>Algorithm [1][2]: the history is a list of call and return entries ordered by time (a
 * call before a return at the same instant, so equal timestamps count as concurrent).
 * Walking the list from its head, a call entry whose operation the model accepts in the
 * current state is <em>linearized</em>: its call and return entries are unlinked (dancing
 * links), the previous state is pushed, and the walk restarts at the head. Reaching a return
 * entry means that operation should already have been linearized: the last choice is undone
 * and the walk continues after it. The history is linearizable when every required operation
 * is linearized, and is not when the stack is empty at a return entry.
 *
 * <p>Unknown outcomes: such operations have a call entry and no return entry, so nothing ever
 * forces them; the search may linearize them anywhere after their invocation or never.
 *
 * <p>Memoization [2][3]: a configuration (set of linearized operations, model state) is
 * explored at most once; reaching it again by another order prunes the branch. Sets are
 * stored compactly (see {@link Configuration}) so that a few thousand operations cost tens
 * of bytes per entry, not a bitset of the whole history.
 *
 * <p>For reports the search keeps the partial linearization with the most required operations.
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
     * @param deepestState the model state after {@code deepestPath}
     */
    record Result(Status status, int[] deepestPath, RegisterState deepestState) {
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

    // The linearized set: bit i set when history operation i is linearized.
    private final long[] linearized;
    private final long[] requiredMask;

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
        linearized = new long[(n + 63) / 64];
        requiredMask = new long[linearized.length];
        for (int i = 0; i < n; i++) {
            if (history.required[i]) {
                requiredMask[i >>> 6] |= 1L << i;
            }
        }
    }

    /** Searches {@code history} for a linearization, counting steps on {@code meter}. */
    static Result run(KeyHistory history, Budget.Meter meter) {
        return new WglSearch(history, meter).search();
    }

    private Result search() {
        Set<Configuration> seen = new HashSet<>();
        int[] stackOp = new int[n];
        RegisterState[] stackState = new RegisterState[n];
        int depth = 0;
        RegisterState state = RegisterState.INITIAL;
        int requiredLeft = history.requiredCount;
        // The first path to linearize the most required operations; unknown ones do not count,
        // so the report does not blame an unknown write that the search merely tried.
        int deepestRequired = 0;
        int[] deepestPath = new int[0];
        RegisterState deepestState = state;

        int node = next[HEAD];
        while (requiredLeft > 0) {
            if (node == NIL || !nodeIsCall[node]) {
                // A required operation returned before we linearized it: undo the last choice.
                if (depth == 0) {
                    return new Result(Status.NOT_LINEARIZABLE, deepestPath, deepestState);
                }
                depth--;
                int op = stackOp[depth];
                state = stackState[depth];
                clear(op);
                if (history.required[op]) {
                    requiredLeft++;
                }
                unlift(op);
                node = next[callNode[op]];
                continue;
            }
            if (!meter.step()) {
                return new Result(Status.BUDGET_EXHAUSTED, deepestPath, deepestState);
            }
            int op = nodeOp[node];
            RegisterState after = RegisterModel.step(state, history.ops[op].op(), history.outcomes[op], null);
            if (after != null) {
                set(op);
                if (seen.add(configuration(after))) {
                    stackOp[depth] = op;
                    stackState[depth] = state;
                    depth++;
                    state = after;
                    if (history.required[op]) {
                        requiredLeft--;
                    }
                    lift(op);
                    if (history.requiredCount - requiredLeft > deepestRequired) {
                        deepestRequired = history.requiredCount - requiredLeft;
                        deepestPath = Arrays.copyOf(stackOp, depth);
                        deepestState = state;
                    }
                    node = next[HEAD];
                    continue;
                }
                clear(op);
            }
            node = next[node];
        }
        return new Result(Status.LINEARIZABLE, Arrays.copyOf(stackOp, depth), state);
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

    private void set(int op) {
        linearized[op >>> 6] |= 1L << op;
    }

    private void clear(int op) {
        linearized[op >>> 6] &= ~(1L << op);
    }

    /**
     * The current linearized set with {@code state}, compactly: the frontier f is the first
     * required operation (in invocation order) not yet linearized; every operation before it
     * is linearized except a few unknown-outcome ones, and after it only operations invoked
     * before f's completion can be linearized (real-time order). The exceptions on both sides
     * are listed, so the key stays small however long the history is.
     */
    private Configuration configuration(RegisterState state) {
        int words = linearized.length;
        int frontier = n;
        for (int w = 0; w < words; w++) {
            long pendingRequired = ~linearized[w] & requiredMask[w];
            if (pendingRequired != 0) {
                frontier = (w << 6) + Long.numberOfTrailingZeros(pendingRequired);
                break;
            }
        }
        int frontierWord = frontier >>> 6;
        long belowFrontier = (frontier & 63) == 0 ? 0 : -1L >>> (64 - (frontier & 63));
        long lastWordValid = (n & 63) == 0 ? -1L : -1L >>> (64 - (n & 63));

        int count = 0;
        for (int w = 0; w < words; w++) {
            count += Long.bitCount(exceptions(w, frontierWord, belowFrontier, lastWordValid));
        }
        int[] extras = new int[count];
        int k = 0;
        for (int w = 0; w < words; w++) {
            long bits = exceptions(w, frontierWord, belowFrontier, lastWordValid);
            while (bits != 0) {
                extras[k++] = (w << 6) + Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
            }
        }
        return new Configuration(frontier, extras, state);
    }

    /** Word {@code w} of the set's exceptions: unlinearized before the frontier, linearized after it. */
    private long exceptions(int w, int frontierWord, long belowFrontier, long lastWordValid) {
        long valid = w == linearized.length - 1 ? lastWordValid : -1L;
        long bits = linearized[w];
        if (w < frontierWord) {
            return ~bits & valid;
        }
        if (w > frontierWord) {
            return bits & valid;
        }
        // The frontier's own bit is clear by definition; below it count the clear ones, above it the set ones.
        return ((~bits & belowFrontier) | (bits & ~belowFrontier)) & valid;
    }

    /** A memo-table key: a linearized set (as frontier and exceptions) and a model state. */
    private static final class Configuration {
        private final int frontier;
        private final int[] extras;
        private final RegisterState state;
        private final int hash;

        Configuration(int frontier, int[] extras, RegisterState state) {
            this.frontier = frontier;
            this.extras = extras;
            this.state = state;
            this.hash = 31 * (31 * frontier + Arrays.hashCode(extras)) + state.hashCode();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Configuration c && hash == c.hash && frontier == c.frontier
                    && Arrays.equals(extras, c.extras) && state.equals(c.state);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
