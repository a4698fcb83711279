package dev.skiff.it.linearizability;

import java.time.Duration;
import java.util.Objects;

/**
 * How much work one {@link LinearizabilityChecker#check} may do before it answers {@link
 * Verdict.Inconclusive} instead of searching on. The search is exponential in the worst case
 * (deciding linearizability is NP-complete), so a bound is what keeps a test from hanging.
 *
 * <p>A step is one configuration explored: an operation linearized at one point of one
 * partial linearization. Each step adds one entry of roughly 100 bytes to the search's memo
 * table, so {@code maxSteps} also bounds the heap the check needs: the default (5M steps)
 * stays under about 500 MB. Attempts the model rejects are not steps; they count against
 * the time only.
 *
 * @param maxTime wall-clock time for the whole check, all keys together
 * @param maxSteps steps for the whole check, all keys together
 */
public record Budget(Duration maxTime, long maxSteps) {

    /** 30 s and 5M steps: far more than a few thousand operations per key need. */
    public static final Budget DEFAULT = new Budget(Duration.ofSeconds(30), 5_000_000);

    public Budget {
        Objects.requireNonNull(maxTime, "maxTime");
        if (maxTime.isNegative() || maxTime.isZero()) {
            throw new IllegalArgumentException("maxTime must be positive, was " + maxTime);
        }
        if (maxSteps < 1) {
            throw new IllegalArgumentException("maxSteps must be >= 1, was " + maxSteps);
        }
    }

    Meter start() {
        return new Meter(this);
    }

    /** Counts the steps of one check against the budget. Not thread-safe: one per check. */
    static final class Meter {
        /** Reading the clock on every attempt would cost more than the attempt itself. */
        private static final int CLOCK_CHECK_INTERVAL = 4096;

        private final Budget budget;
        private final long startNanos = System.nanoTime();
        private final long deadlineNanos;
        private long attempts;
        private long steps;
        private boolean exhausted;

        private Meter(Budget budget) {
            this.budget = budget;
            this.deadlineNanos = startNanos + budget.maxTime().toNanos();
        }

        /** Counts one attempt to apply an operation; false once the budget is exhausted. */
        boolean attempt() {
            if (!exhausted && ++attempts % CLOCK_CHECK_INTERVAL == 0 && System.nanoTime() - deadlineNanos > 0) {
                exhausted = true;
            }
            return !exhausted;
        }

        /** Counts one configuration explored (a step); false once the budget is exhausted. */
        boolean step() {
            if (!exhausted && ++steps > budget.maxSteps()) {
                exhausted = true;
            }
            return !exhausted;
        }

        boolean exhausted() {
            return exhausted;
        }

        long steps() {
            return steps;
        }

        Duration elapsed() {
            return Duration.ofNanos(System.nanoTime() - startNanos);
        }

        String describe() {
            return "budget of " + budget.maxSteps() + " steps / " + budget.maxTime().toMillis() + " ms";
        }
    }
}
