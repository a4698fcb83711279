package dev.skiff.it.linearizability;

import static dev.skiff.it.linearizability.CheckerAssertions.assertLinearizable;
import static dev.skiff.it.linearizability.CheckerAssertions.assertViolation;
import static dev.skiff.it.linearizability.HistoryBuilder.cas;
import static dev.skiff.it.linearizability.HistoryBuilder.casDelete;
import static dev.skiff.it.linearizability.HistoryBuilder.delete;
import static dev.skiff.it.linearizability.HistoryBuilder.deleted;
import static dev.skiff.it.linearizability.HistoryBuilder.failed;
import static dev.skiff.it.linearizability.HistoryBuilder.found;
import static dev.skiff.it.linearizability.HistoryBuilder.get;
import static dev.skiff.it.linearizability.HistoryBuilder.mismatch;
import static dev.skiff.it.linearizability.HistoryBuilder.notDeleted;
import static dev.skiff.it.linearizability.HistoryBuilder.notFound;
import static dev.skiff.it.linearizability.HistoryBuilder.put;
import static dev.skiff.it.linearizability.HistoryBuilder.unknown;
import static dev.skiff.it.linearizability.HistoryBuilder.written;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class LinearizabilityCheckerTest {

    private final LinearizabilityChecker checker = new LinearizabilityChecker();

    @Nested
    class KnownBadHistories {

        @Test
        void when_readReturnsOldValueAfterNewerWriteCompleted_then_staleReadIsReported() {
            List<Operation> history = new HistoryBuilder()
                    .op(1, 0, 10, put("x", "v1"), written(5))
                    .op(2, 20, 30, put("x", "v2"), written(7))
                    .op(3, 40, 50, get("x"), found("v1", 5))
                    .build();

            Verdict.Violation violation = assertViolation(history, 2);

            assertThat(violation.key()).isEqualTo("x");
            assertThat(violation.explanation())
                    .contains("#2 c3 get(\"x\") -> \"v1\"@5 [40.000, 50.000 ms]")
                    .contains("after which the key is \"v2\" (modifyIndex 7)")
                    .contains("as left by #1 c2 put(\"x\", \"v2\") -> index 7")
                    .contains("the key holds \"v2\" (modifyIndex 7), not \"v1\"");
        }

        @Test
        void when_acknowledgedPutIsNeverSeen_then_lostWriteIsReported() {
            List<Operation> history = new HistoryBuilder()
                    .op(1, 0, 10, put("x", "old"), written(3))
                    .op(2, 20, 30, put("x", "acked"), written(9))
                    .op(1, 35, 40, get("x"), found("old", 3))
                    .op(3, 45, 50, get("x"), found("old", 3))
                    .build();

            Verdict.Violation violation = assertViolation(history, 2);

            assertThat(violation.prefixOperations()).isEqualTo(3);
        }

        @Test
        void when_casSucceedsAgainstStaleModifyIndex_then_wrongCasIsReported() {
            List<Operation> history = new HistoryBuilder()
                    .op(1, 0, 10, put("x", "a"), written(5))
                    .op(2, 20, 30, put("x", "b"), written(7))
                    .op(3, 40, 50, cas("x", 5, "c"), written(9))
                    .build();

            Verdict.Violation violation = assertViolation(history, 2);

            assertThat(violation.explanation()).contains("not modifyIndex 5");
        }

        @Test
        void when_readReturnsValueNeverWritten_then_violation() {
            List<Operation> history = new HistoryBuilder()
                    .op(1, 0, 10, put("x", "a"), written(5))
                    .op(2, 5, 30, get("x"), found("zzz", 5))
                    .build();

            assertViolation(history, 1);
        }

        @Test
        void when_readSeesValueOfFailedWrite_then_violation() {
            List<Operation> history = new HistoryBuilder()
                    .op(1, 0, 10, put("x", "a"), written(5))
                    .op(2, 20, 30, put("x", "rejected"), failed())
                    .op(3, 25, 40, get("x"), found("rejected", 6))
                    .build();

            assertViolation(history, 2);
        }

        @Test
        void when_readSeesAbsentAfterCompletedPut_then_violation() {
            List<Operation> history = new HistoryBuilder()
                    .op(1, 0, 10, put("x", "a"), written(5))
                    .op(2, 11, 12, get("x"), notFound())
                    .build();

            assertViolation(history, 1);
        }

        @Test
        void when_readsGoBackInTime_then_violation() {
            // Concurrent with the write either read alone would be fine; in this order they are not.
            List<Operation> history = new HistoryBuilder()
                    .op(1, 0, 100, put("x", "new"), written(8))
                    .op(2, 10, 20, get("x"), found("new", 8))
                    .op(3, 30, 40, get("x"), notFound())
                    .build();

            assertViolation(history, 2);
        }

        @Test
        void when_writeIndexesGoBackwards_then_violation() {
            List<Operation> history = new HistoryBuilder()
                    .op(1, 0, 10, put("x", "a"), written(9))
                    .op(2, 20, 30, put("x", "b"), written(4))
                    .build();

            Verdict.Violation violation = assertViolation(history, 1);

            assertThat(violation.explanation()).contains("index 4 is not above 9");
        }

        @Test
        void when_casMismatchReportsAbsentForPresentKey_then_violation() {
            List<Operation> history = new HistoryBuilder()
                    .op(1, 0, 10, put("x", "a"), written(5))
                    .op(2, 20, 30, cas("x", 3, "b"), mismatch(0))
                    .build();

            assertViolation(history, 1);
        }

        @Test
        void when_readSeesDeletedValue_then_violation() {
            List<Operation> history = new HistoryBuilder()
                    .op(1, 0, 10, put("x", "a"), written(5))
                    .op(2, 20, 30, delete("x"), deleted(6))
                    .op(3, 40, 50, get("x"), found("a", 5))
                    .build();

            assertViolation(history, 2);
        }

        @Test
        void when_unknownWriteTakesEffectAfterTheWindow_then_violationOnlyWithTheWindow() {
            List<Operation> history = new HistoryBuilder()
                    .op(1, 0, 10, put("x", "a"), written(5))
                    .op(2, 20, 30, put("x", "b"), unknown())
                    .op(3, 200, 210, get("x"), found("a", 5))
                    .op(3, 1_000, 1_010, get("x"), found("b", 12))
                    .build();
            LinearizabilityChecker windowed = new LinearizabilityChecker(Budget.DEFAULT, Duration.ofMillis(100));

            Verdict verdict = windowed.check(history);

            assertThat(checker.check(history)).isInstanceOf(Verdict.Linearizable.class);
            assertThat(verdict).isInstanceOf(Verdict.Violation.class);
            assertThat(((Verdict.Violation) verdict).explanation()).contains("too late: it can only have taken effect by 130.000 ms");
        }

        @Test
        void when_unknownWriteIsSeenWithIndexBelowEarlierWrite_then_violation() {
            // The unknown put can only have taken effect after #0 (it was invoked after #0
            // completed), so its modifyIndex must be above 5.
            List<Operation> history = new HistoryBuilder()
                    .op(1, 0, 10, put("x", "a"), written(5))
                    .op(2, 20, 30, put("x", "b"), unknown())
                    .op(3, 40, 50, get("x"), found("b", 4))
                    .build();

            Verdict.Violation violation = assertViolation(history, 2);

            assertThat(violation.explanation()).contains("modifyIndex 4 is not above 5");
        }

        @Test
        void when_unknownWriteIndexIsObservedTwiceDifferently_then_violation() {
            List<Operation> history = new HistoryBuilder()
                    .op(1, 0, 10, put("x", "a"), unknown())
                    .op(2, 20, 30, get("x"), found("a", 6))
                    .op(3, 40, 50, get("x"), found("a", 7))
                    .build();

            assertViolation(history, 2);
        }

        @Test
        void when_onlyOneKeyIsBroken_then_thatKeyIsReported() {
            List<Operation> history = new HistoryBuilder()
                    .op(1, 0, 10, put("a", "1"), written(1))
                    .op(2, 0, 10, put("b", "1"), written(2))
                    .op(1, 20, 30, get("a"), found("1", 1))
                    .op(2, 20, 30, put("b", "2"), written(3))
                    .op(3, 40, 50, get("b"), found("1", 2))
                    .build();

            Verdict.Violation violation = assertViolation(history, 4);

            assertThat(violation.key()).isEqualTo("b");
        }
    }

    @Nested
    class KnownGoodHistories {

        @Test
        void when_historyIsEmpty_then_linearizable() {
            assertLinearizable(List.of());
        }

        @Test
        void when_readsOverlapWriteAndSeeEitherSide_then_linearizable() {
            List<Operation> history = new HistoryBuilder()
                    .op(1, 0, 100, put("x", "a"), written(3))
                    .op(2, 10, 20, get("x"), notFound())
                    .op(3, 15, 120, get("x"), found("a", 3))
                    .op(2, 30, 40, get("x"), notFound())
                    .op(4, 50, 60, get("x"), found("a", 3))
                    .op(2, 70, 80, get("x"), found("a", 3))
                    .build();

            assertLinearizable(history);
        }

        @Test
        void when_concurrentWritesAreSeenInIndexOrder_then_linearizable() {
            // #0 is invoked first but linearizes second: its index says so, and the reads agree.
            List<Operation> history = new HistoryBuilder()
                    .op(1, 0, 50, put("x", "a"), written(7))
                    .op(2, 5, 40, put("x", "b"), written(6))
                    .op(3, 10, 20, get("x"), found("b", 6))
                    .op(4, 45, 60, get("x"), found("a", 7))
                    .op(3, 61, 70, cas("x", 7, "c"), written(9))
                    .op(4, 62, 75, cas("x", 7, "d"), mismatch(9))
                    .op(3, 80, 90, get("x"), found("c", 9))
                    .build();

            assertLinearizable(history);
        }

        @Test
        void when_unknownWriteTookEffect_then_linearizable() {
            List<Operation> history = new HistoryBuilder()
                    .op(1, 0, 10, put("x", "a"), written(5))
                    .op(2, 20, 30, put("x", "b"), unknown())
                    .op(3, 40, 50, get("x"), found("b", 6))
                    .op(3, 60, 70, cas("x", 6, "c"), written(8))
                    .op(1, 80, 90, get("x"), found("c", 8))
                    .build();

            assertLinearizable(history);
        }

        @Test
        void when_unknownWriteTookEffectLate_then_linearizable() {
            // A 504'd write may commit long after the client gave up, even after a read missed it.
            List<Operation> history = new HistoryBuilder()
                    .op(1, 0, 10, put("x", "a"), written(5))
                    .op(2, 20, 30, put("x", "b"), unknown())
                    .op(3, 40, 50, get("x"), found("a", 5))
                    .op(3, 60, 70, get("x"), found("b", 12))
                    .build();

            assertLinearizable(history);
        }

        @Test
        void when_unknownWriteNeverTookEffect_then_linearizable() {
            List<Operation> history = new HistoryBuilder()
                    .op(1, 0, 10, put("x", "a"), written(5))
                    .op(2, 20, 30, put("x", "b"), unknown())
                    .op(2, 31, 35, cas("x", 0, "never"), unknown())
                    .op(3, 40, 50, get("x"), found("a", 5))
                    .op(3, 60, 70, cas("x", 5, "c"), written(9))
                    .op(1, 80, 90, get("x"), found("c", 9))
                    .build();

            assertLinearizable(history);
        }

        @Test
        void when_unknownDeleteTookEffect_then_linearizable() {
            List<Operation> history = new HistoryBuilder()
                    .op(1, 0, 10, put("x", "a"), written(5))
                    .op(2, 20, 30, casDelete("x", 5), unknown())
                    .op(3, 40, 50, get("x"), notFound())
                    .op(3, 60, 70, cas("x", 0, "b"), written(9))
                    .build();

            assertLinearizable(history);
        }

        @Test
        void when_failedWriteIsNeverSeen_then_linearizable() {
            List<Operation> history = new HistoryBuilder()
                    .op(1, 0, 10, put("x", "a"), written(5))
                    .op(2, 20, 30, put("x", "rejected"), failed())
                    .op(3, 25, 40, get("x"), found("a", 5))
                    .build();

            assertLinearizable(history);
        }

        @Test
        void when_deletesAndCasDeletesBehave_then_linearizable() {
            List<Operation> history = new HistoryBuilder()
                    .op(1, 0, 10, delete("x"), notDeleted(1))
                    .op(1, 20, 30, put("x", "a"), written(5))
                    .op(2, 40, 50, casDelete("x", 4), mismatch(5))
                    .op(2, 60, 70, casDelete("x", 4), notDeleted(6))
                    .op(3, 80, 90, casDelete("x", 5), deleted(7))
                    .op(3, 100, 110, get("x"), notFound())
                    .op(1, 120, 130, cas("x", 0, "b"), written(9))
                    .op(1, 140, 150, delete("x"), deleted(10))
                    .op(1, 160, 170, cas("x", 9, "c"), mismatch(0))
                    .build();

            assertLinearizable(history);
        }

        @Test
        void when_timestampsTie_then_operationsCountAsConcurrent() {
            List<Operation> history = new HistoryBuilder()
                    .op(1, 0, 10, get("x"), found("a", 5))
                    .op(2, 10, 20, put("x", "a"), written(5))
                    .build();

            assertLinearizable(history);
        }
    }

    @Nested
    class Inputs {

        @Test
        void when_budgetIsTooSmall_then_inconclusiveRatherThanHanging() {
            List<Operation> history = new HistoryBuilder()
                    .op(1, 0, 10, put("x", "a"), written(5))
                    .op(2, 0, 10, put("x", "b"), written(6))
                    .op(3, 0, 10, get("x"), found("b", 6))
                    .op(4, 20, 30, put("y", "c"), written(7))
                    .build();
            LinearizabilityChecker tiny = new LinearizabilityChecker(new Budget(Duration.ofSeconds(10), 2));

            Verdict verdict = tiny.check(history);

            assertThat(verdict).isInstanceOf(Verdict.Inconclusive.class);
            assertThat(((Verdict.Inconclusive) verdict).undecidedKeys()).containsExactly("x", "y");
            assertThat(verdict.summary()).startsWith("unknown (budget of 2 steps");
        }

        @Test
        void when_idsRepeat_then_rejectedWithTheId() {
            Operation a = new Operation(7, 1, put("x", "a"), 0, 1, written(1));
            Operation b = new Operation(7, 2, get("x"), 0, 1, notFound());

            assertThatThrownBy(() -> checker.check(List.of(a, b)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("#7");
        }

        @Test
        void when_resultDoesNotFitRequest_then_rejectedNamingTheOperation() {
            assertThatThrownBy(() -> new Operation(3, 1, get("x"), 0, 1, written(1)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("operation #3 get(\"x\")");
        }

        @Test
        void when_completedBeforeInvoked_then_rejected() {
            assertThatThrownBy(() -> new Operation(3, 1, get("x"), 5, 4, notFound()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("completedAt 4 is before invokedAt 5");
        }
    }
}
