package dev.skiff.it.linearizability;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What {@link LinearizabilityChecker#check} concluded about a history.
 *
 * <p>Immutable and thread-safe.
 */
public sealed interface Verdict {

    /** Search steps used, all keys together (see {@link Budget}). */
    long steps();

    /** Wall-clock time of the check. */
    Duration elapsed();

    /** One line for logs and assertion messages; {@link Violation#explanation()} has the detail. */
    String summary();

    /** Every key's history has a linearization. */
    record Linearizable(int operations, int keys, long steps, Duration elapsed) implements Verdict {
        @Override
        public String summary() {
            return "linearizable: " + operations + " operations on " + keys + " keys, " + steps + " steps in "
                    + elapsed.toMillis() + " ms";
        }
    }

    /**
     * The history of {@code key} has no linearization.
     *
     * @param prefixOperations how many operations of the key the smallest failing prefix found
     *     holds (the prefix ends when {@code culprit} completes)
     * @param culprit the operation whose completion makes that prefix non-linearizable
     * @param explanation a multi-line report for humans: the culprit, the longest
     *     linearization found, the register's state at its end and why nothing fits next
     */
    record Violation(String key, int prefixOperations, Operation culprit, String explanation, long steps,
                     Duration elapsed) implements Verdict {
        public Violation {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(culprit, "culprit");
            Objects.requireNonNull(explanation, "explanation");
        }

        @Override
        public String summary() {
            return "NOT linearizable: key " + Operation.quote(key) + ", culprit #" + culprit.id()
                    + " (" + Operation.describeOp(culprit.op()) + ")";
        }
    }

    /**
     * The budget ran out before these keys were decided (no violation was found in the others).
     */
    record Inconclusive(List<String> undecidedKeys, String reason, long steps, Duration elapsed) implements Verdict {
        public Inconclusive {
            undecidedKeys = List.copyOf(undecidedKeys);
            Objects.requireNonNull(reason, "reason");
        }

        @Override
        public String summary() {
            return "unknown (" + reason + "): undecided keys " + undecidedKeys;
        }
    }
}
