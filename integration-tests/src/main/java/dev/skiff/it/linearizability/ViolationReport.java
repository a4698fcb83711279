package dev.skiff.it.linearizability;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Writes the human-readable explanation of a violation: the operation whose completion
 * breaks linearizability, the tail of the longest linearization the search reached, the
 * register's state there (and which operation set it), and, for every operation that could
 * come next, why it cannot.
 */
final class ViolationReport {

    /** Enough context to see a stale read or a lost write without drowning in a long history. */
    private static final int SHOWN_LINEARIZED = 8;
    private static final int SHOWN_CANDIDATES = 12;

    private ViolationReport() {
    }

    static String explain(KeyHistory history, WglSearch.Result result, Operation culprit, long cut, long origin,
                          int recordedOnKey) {
        StringBuilder out = new StringBuilder();
        out.append("Key ").append(Operation.quote(history.key)).append(" is not linearizable (")
                .append(count(recordedOnKey, "operation")).append(" recorded on the key; times in ms since the first invocation).\n");
        out.append("The smallest failing prefix found holds ").append(count(history.size(), "operation"))
                .append(" that can take effect (invoked by ").append(Operation.millis(cut - origin))
                .append(" ms); it fails once this one completes:\n");
        out.append("    ").append(culprit.describe(origin)).append('\n');

        int[] path = result.deepestPath();
        out.append("Longest linearization found (by operations with a definite result): ")
                .append(count(path.length, "operation"));
        if (path.length > SHOWN_LINEARIZED) {
            out.append(", the last ").append(SHOWN_LINEARIZED).append(" shown");
        }
        out.append(":\n");
        if (path.length == 0) {
            out.append("    (none)\n");
        }
        for (int k = Math.max(0, path.length - SHOWN_LINEARIZED); k < path.length; k++) {
            out.append("    ").append(history.ops[path[k]].describe(origin)).append('\n');
        }
        // The search ran on requests whose unread values were merged; replay with the real ones.
        RegisterState state = replay(history, path);
        out.append("after which the key is ").append(state.describe());
        Operation setter = lastChange(history, path);
        if (setter != null) {
            out.append(", as left by ").append(setter.describe(origin));
        }
        out.append(".\n");

        out.append("What could come next, and why it does not:\n");
        List<String> candidates = candidates(history, path, state, origin);
        for (int k = 0; k < Math.min(candidates.size(), SHOWN_CANDIDATES); k++) {
            out.append("    ").append(candidates.get(k)).append('\n');
        }
        if (candidates.size() > SHOWN_CANDIDATES) {
            out.append("    ... and ").append(candidates.size() - SHOWN_CANDIDATES).append(" more\n");
        }
        return out.toString();
    }

    private static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    private static RegisterState replay(KeyHistory history, int[] path) {
        RegisterState state = RegisterState.INITIAL;
        for (int op : path) {
            state = Objects.requireNonNull(RegisterModel.step(state, history.ops[op].op(), history.outcomes[op], null),
                    "the search's path must replay");
        }
        return state;
    }

    /** The last operation of the path that changed the register's state (value or known index). */
    private static Operation lastChange(KeyHistory history, int[] path) {
        RegisterState state = RegisterState.INITIAL;
        Operation setter = null;
        for (int op : path) {
            RegisterState after = RegisterModel.step(state, history.ops[op].op(), history.outcomes[op], null);
            if (after != null && !after.equals(state)) {
                setter = history.ops[op];
            }
            state = after == null ? state : after;
        }
        return setter;
    }

    /**
     * The operations not on the path that were invoked before the earliest completion among
     * the required ones not on it (the blocking one): the only ones that could be linearized
     * next. For one that fits, the report also tries the blocking operation right after it.
     */
    private static List<String> candidates(KeyHistory history, int[] path, RegisterState state, long origin) {
        boolean[] onPath = new boolean[history.size()];
        long pathMaxCall = Long.MIN_VALUE;
        for (int op : path) {
            onPath[op] = true;
            pathMaxCall = Math.max(pathMaxCall, history.callAt[op]);
        }
        int blocking = -1;
        for (int i = 0; i < history.size(); i++) {
            if (!onPath[i] && history.required[i] && (blocking < 0 || history.returnAt[i] < history.returnAt[blocking])) {
                blocking = i;
            }
        }
        long horizon = blocking < 0 ? Long.MAX_VALUE : history.returnAt[blocking];
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < history.size(); i++) {
            if (onPath[i] || history.callAt[i] > horizon) {
                continue;
            }
            String pending = history.outcomes[i] == history.ops[i].outcome() ? "" : " (pending at the cut)";
            lines.add(history.ops[i].describe(origin) + pending + "\n        -> "
                    + whyNotNext(history, i, blocking, state, pathMaxCall, origin));
        }
        return lines;
    }

    private static String whyNotNext(KeyHistory history, int op, int blocking, RegisterState state, long pathMaxCall,
                                     long origin) {
        if (pathMaxCall > history.expiresAt[op]) {
            return "too late: it can only have taken effect by " + Operation.millis(history.expiresAt[op] - origin)
                    + " ms (the unknown-outcome window)";
        }
        StringBuilder why = new StringBuilder();
        RegisterState after = RegisterModel.step(state, history.ops[op].op(), history.outcomes[op], why);
        if (after == null) {
            return why.toString();
        }
        if (blocking >= 0 && blocking != op) {
            StringBuilder then = new StringBuilder();
            if (RegisterModel.step(after, history.ops[blocking].op(), history.outcomes[blocking], then) == null) {
                return "fits here, leaving the key " + after.describe() + ", but then #"
                        + history.ops[blocking].id() + " cannot follow: " + then;
            }
        }
        return "fits here, but no linearization of the rest follows from it";
    }
}
