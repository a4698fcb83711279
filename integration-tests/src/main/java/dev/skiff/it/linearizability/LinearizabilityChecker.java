package dev.skiff.it.linearizability;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Decides whether a recorded history of key-value operations is linearizable with respect to
 * the Skiff KV API (../shared/API.md §2), as modelled by {@link RegisterModel}.
 *
 * <p>Each key is an independent register, so each key's sub-history is checked on its own
 * (linearizability is compositional: the history is linearizable iff every key's is). Each
 * sub-history is searched by {@link WglSearch} (Wing–Gong–Lowe with memoization). On a
 * violation the checker then looks for the smallest failing prefix of that key's history
 * (binary search over the completions of its operations; a prefix of a linearizable history
 * is linearizable, so failure is monotone) and explains it: see {@link Verdict.Violation}.
 *
 * <p>Thread-safe and stateless apart from its budget: {@link #check} may be called
 * concurrently. It blocks the calling thread for the search (at most the budget's time, plus
 * the same again for the prefix search after a violation).
 */
public final class LinearizabilityChecker {

    private final Budget budget;
    private final long unknownOutcomeWindowNanos;

    /** A checker with {@link Budget#DEFAULT}, for which unknown outcomes may take effect at any time. */
    public LinearizabilityChecker() {
        this(Budget.DEFAULT);
    }

    /** A checker for which operations with an unknown outcome may take effect at any later time. */
    public LinearizabilityChecker(Budget budget) {
        this.budget = Objects.requireNonNull(budget, "budget");
        this.unknownOutcomeWindowNanos = Long.MAX_VALUE;
    }

    /**
     * A checker that assumes an operation with an unknown outcome took effect, if at all, no
     * later than {@code unknownOutcomeWindow} after the client gave up on it.
     *
     * <p>This is an assumption about the system, not a property of the history: a wrong one
     * can turn a linearizable history into a reported violation. It keeps the search small
     * when a long history has many unknown outcomes (each one otherwise stays a candidate
     * until the end). For Skiff, a write answered 504 is committed or truncated once a leader
     * of a later term commits an entry, so a window well above the longest time the test
     * leaves the cluster without a leader is safe; the test must not use it when it stops a
     * quorum for longer than that.
     */
    public LinearizabilityChecker(Budget budget, Duration unknownOutcomeWindow) {
        this.budget = Objects.requireNonNull(budget, "budget");
        Objects.requireNonNull(unknownOutcomeWindow, "unknownOutcomeWindow");
        if (unknownOutcomeWindow.isNegative()) {
            throw new IllegalArgumentException("unknownOutcomeWindow must not be negative, was " + unknownOutcomeWindow);
        }
        this.unknownOutcomeWindowNanos = unknownOutcomeWindow.toNanos();
    }

    /**
     * Checks {@code history}; returns the first violation found (keys in sorted order), else
     * {@link Verdict.Inconclusive} if the budget ran out on some key, else {@link
     * Verdict.Linearizable}.
     *
     * @throws IllegalArgumentException if two operations share an id
     */
    public Verdict check(Collection<Operation> history) {
        Budget.Meter meter = budget.start();
        Map<String, List<Operation>> byKey = new TreeMap<>();
        Set<Integer> ids = new HashSet<>();
        for (Operation op : history) {
            if (!ids.add(op.id())) {
                throw new IllegalArgumentException("two operations have id #" + op.id());
            }
            byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
        }
        long origin = history.stream().mapToLong(Operation::invokedAt).min().orElse(0);

        List<String> undecided = new ArrayList<>();
        for (Map.Entry<String, List<Operation>> entry : byKey.entrySet()) {
            if (meter.exhausted()) {
                undecided.add(entry.getKey());
                continue;
            }
            KeyHistory keyHistory = KeyHistory.of(entry.getKey(), entry.getValue(), unknownOutcomeWindowNanos);
            WglSearch.Result result = WglSearch.run(keyHistory, meter);
            switch (result.status()) {
                case LINEARIZABLE -> { }
                case BUDGET_EXHAUSTED -> undecided.add(entry.getKey());
                case NOT_LINEARIZABLE -> {
                    return explainViolation(keyHistory, result, origin, meter, entry.getValue().size());
                }
            }
        }
        if (!undecided.isEmpty()) {
            return new Verdict.Inconclusive(undecided, meter.describe() + " exhausted", meter.steps(),
                    meter.elapsed());
        }
        return new Verdict.Linearizable(history.size(), byKey.size(), meter.steps(), meter.elapsed());
    }

    /**
     * Finds the smallest failing prefix of a key's history (best effort, within a fresh
     * budget) and explains it.
     */
    private Verdict explainViolation(KeyHistory full, WglSearch.Result fullResult, long origin, Budget.Meter checkMeter,
                                     int recordedOnKey) {
        Budget.Meter meter = budget.start();
        long[] cuts = full.requiredCompletionTimes();
        // Invariant: the prefix up to cuts[hi] is known to fail (the whole history at first).
        int lo = 0;
        int hi = cuts.length - 1;
        KeyHistory failing = full;
        WglSearch.Result failingResult = fullResult;
        while (lo < hi && !meter.exhausted()) {
            int mid = (lo + hi) >>> 1;
            KeyHistory prefix = full.prefix(cuts[mid]);
            WglSearch.Result result = WglSearch.run(prefix, meter);
            if (result.status() == WglSearch.Status.NOT_LINEARIZABLE) {
                hi = mid;
                failing = prefix;
                failingResult = result;
            } else {
                // Linearizable, or undecided: either way the failing prefix we can show is longer.
                lo = mid + 1;
            }
        }
        long cut = cuts[hi];
        Operation culprit = culprit(failing, cut);
        String explanation = ViolationReport.explain(failing, failingResult, culprit, cut, origin, recordedOnKey);
        return new Verdict.Violation(full.key, failing.size(), culprit, explanation,
                checkMeter.steps() + meter.steps(), checkMeter.elapsed());
    }

    /** The required operation that completes at {@code cut} (the last one, if several). */
    private static Operation culprit(KeyHistory history, long cut) {
        Operation culprit = null;
        for (int i = 0; i < history.size(); i++) {
            if (history.required[i] && history.returnAt[i] == cut) {
                culprit = history.ops[i];
            }
        }
        return Objects.requireNonNull(culprit, "no operation completes at the cut");
    }
}
