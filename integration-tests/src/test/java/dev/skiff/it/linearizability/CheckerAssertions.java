package dev.skiff.it.linearizability;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

/** Assertions on what the default {@link LinearizabilityChecker} says of a history, for the checker's tests. */
final class CheckerAssertions {

    private static final LinearizabilityChecker CHECKER = new LinearizabilityChecker();

    private CheckerAssertions() {
    }

    /** The history is a violation, and operation {@code culpritId} is the one that completes its smallest failing prefix. */
    static Verdict.Violation assertViolation(List<Operation> history, int culpritId) {
        Verdict verdict = CHECKER.check(history);
        assertThat(verdict).as(verdict.summary()).isInstanceOf(Verdict.Violation.class);
        Verdict.Violation violation = (Verdict.Violation) verdict;
        assertThat(violation.culprit().id()).as(violation.explanation()).isEqualTo(culpritId);
        return violation;
    }

    /** The history is linearizable (a violation's explanation is the failure message). */
    static void assertLinearizable(List<Operation> history) {
        Verdict verdict = CHECKER.check(history);
        assertThat(verdict).as(() -> verdict instanceof Verdict.Violation v ? v.explanation() : verdict.summary())
                .isInstanceOf(Verdict.Linearizable.class);
    }
}
