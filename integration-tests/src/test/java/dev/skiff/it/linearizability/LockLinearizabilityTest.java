package dev.skiff.it.linearizability;

import static dev.skiff.it.linearizability.CheckerAssertions.assertLinearizable;
import static dev.skiff.it.linearizability.CheckerAssertions.assertViolation;
import static dev.skiff.it.linearizability.HistoryBuilder.acquire;
import static dev.skiff.it.linearizability.HistoryBuilder.applied;
import static dev.skiff.it.linearizability.HistoryBuilder.delete;
import static dev.skiff.it.linearizability.HistoryBuilder.deleted;
import static dev.skiff.it.linearizability.HistoryBuilder.found;
import static dev.skiff.it.linearizability.HistoryBuilder.get;
import static dev.skiff.it.linearizability.HistoryBuilder.put;
import static dev.skiff.it.linearizability.HistoryBuilder.refused;
import static dev.skiff.it.linearizability.HistoryBuilder.release;
import static dev.skiff.it.linearizability.HistoryBuilder.unknown;
import static dev.skiff.it.linearizability.HistoryBuilder.written;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/** The lock operations of {@link RegisterModel} (acquire / release with Consul's semantics) through the checker. */
class LockLinearizabilityTest {

    private final LinearizabilityChecker checker = new LinearizabilityChecker();

    @Test
    void when_twoSessionsAcquireWithoutAReleaseBetween_then_violation() {
        List<Operation> history = new HistoryBuilder()
                .op(1, 0, 10, acquire("l", "s1", "a"), applied())
                .op(2, 20, 30, acquire("l", "s2", "b"), applied())
                .build();

        Verdict.Violation violation = assertViolation(history, 1);

        assertThat(violation.explanation())
                .contains("#1 c2 acquire(\"l\", session \"s2\", \"b\") -> true")
                .contains("after which the key is \"a\" (modifyIndex unknown, > 0, locked by session \"s1\")")
                .contains("the lock is held by session \"s1\", session \"s2\" cannot take it");
    }

    @Test
    void when_aPlainPutComesBetweenTwoAcquires_then_theLockIsStillHeldAndItIsAViolation() {
        List<Operation> history = new HistoryBuilder()
                .op(1, 0, 10, acquire("l", "s1", "a"), applied())
                .op(2, 20, 30, put("l", "p"), written(9))
                .op(3, 40, 50, acquire("l", "s2", "b"), applied())
                .build();

        assertViolation(history, 2);
    }

    @Test
    void when_acquireReleaseThenAcquireByAnother_then_linearizable() {
        List<Operation> history = new HistoryBuilder()
                .op(1, 0, 10, acquire("l", "s1", "a"), applied())
                .op(2, 12, 18, acquire("l", "s2", "x"), refused())
                .op(1, 20, 30, acquire("l", "s1", "a2"), applied())
                .op(2, 32, 38, release("l", "s2", "y"), refused())
                .op(3, 40, 45, get("l"), found("a2", 7))
                .op(1, 50, 60, release("l", "s1", "r"), applied())
                .op(3, 62, 68, get("l"), found("r", 8))
                .op(2, 70, 80, acquire("l", "s2", "b"), applied())
                .op(3, 90, 95, get("l"), found("b", 11))
                .build();

        assertLinearizable(history);
    }

    @Test
    void when_theHolderIsRefusedItsOwnRelease_then_violation() {
        List<Operation> history = new HistoryBuilder()
                .op(1, 0, 10, acquire("l", "s1", "a"), applied())
                .op(1, 20, 30, release("l", "s1", "r"), refused())
                .build();

        Verdict.Violation violation = assertViolation(history, 1);

        assertThat(violation.explanation()).contains("the lock is held by session \"s1\", which can release it");
    }

    @Test
    void when_aReadAfterAReleaseSeesTheValueBeforeIt_then_violation() {
        List<Operation> history = new HistoryBuilder()
                .op(1, 0, 10, acquire("l", "s1", "a"), applied())
                .op(1, 20, 30, release("l", "s1", "r"), applied())
                .op(2, 40, 50, get("l"), found("a", 5))
                .build();

        assertViolation(history, 2);
    }

    @Test
    void when_aLockOperationsIndexIsSeenBelowAnEarlierWrite_then_violation() {
        List<Operation> history = new HistoryBuilder()
                .op(1, 0, 10, put("l", "p"), written(9))
                .op(2, 20, 30, acquire("l", "s2", "b"), applied())
                .op(3, 40, 50, get("l"), found("b", 8))
                .build();

        assertViolation(history, 2);
    }

    @Test
    void when_anAcquireWithUnknownOutcomeExplainsARefusal_then_linearizable() {
        List<Operation> history = new HistoryBuilder()
                .op(1, 0, 10, acquire("l", "s1", "a"), unknown())
                .op(2, 20, 30, acquire("l", "s2", "b"), refused())
                .op(1, 40, 50, release("l", "s1", "r"), applied())
                .op(2, 60, 70, acquire("l", "s2", "c"), applied())
                .build();

        assertLinearizable(history);
    }

    @Test
    void when_anAcquireWithUnknownOutcomeNeverTookEffect_then_linearizable() {
        List<Operation> history = new HistoryBuilder()
                .op(1, 0, 10, acquire("l", "s1", "a"), unknown())
                .op(2, 20, 30, acquire("l", "s2", "b"), applied())
                .op(3, 40, 50, get("l"), found("b", 4))
                .build();

        assertLinearizable(history);
    }

    @Test
    void when_anUnknownAcquireMustHaveTakenEffectAndIsNeverReleased_then_anotherSessionsAcquireIsAViolation() {
        // The refusal of #1 is explained only by #0 having taken the lock, and nothing frees it.
        List<Operation> history = new HistoryBuilder()
                .op(1, 0, 10, acquire("l", "s1", "a"), unknown())
                .op(2, 20, 30, acquire("l", "s2", "b"), refused())
                .op(2, 40, 50, acquire("l", "s2", "c"), applied())
                .build();

        assertViolation(history, 2);
    }

    @Test
    void when_aHeldKeyIsDeleted_then_anotherSessionMayAcquireIt() {
        List<Operation> history = new HistoryBuilder()
                .op(1, 0, 10, acquire("l", "s1", "a"), applied())
                .op(2, 20, 30, delete("l"), deleted(6))
                .op(3, 40, 50, release("l", "s1", "r"), refused())
                .op(4, 60, 70, acquire("l", "s2", "b"), applied())
                .build();

        assertLinearizable(history);
    }

    @Test
    void when_tinyLockHistoriesAreChecked_then_theSearchAgreesWithBruteForce() {
        int histories = 5000;
        int linearizable = 0;
        for (long seed = 0; seed < histories; seed++) {
            List<Operation> history = arbitraryTinyLockHistory(new SplittableRandom(seed));

            boolean expected = BruteForceChecker.isLinearizable(history);
            Verdict verdict = checker.check(history);

            long s = seed;
            assertThat(verdict).as(() -> "seed " + s + ", brute force says " + expected + ": "
                            + (verdict instanceof Verdict.Violation v ? v.explanation() : verdict.summary()))
                    .isInstanceOf(expected ? Verdict.Linearizable.class : Verdict.Violation.class);
            linearizable += expected ? 1 : 0;
        }
        System.out.println("brute-force agreement with locks: " + histories + " tiny histories, " + linearizable
                + " linearizable, " + (histories - linearizable) + " not");
        // Both answers must be common, or the comparison says little about the search's pruning.
        assertThat(linearizable).isBetween(histories / 20, histories - histories / 20);
    }

    /** Up to 8 acquire / release / put / get operations of two sessions on one key, with arbitrary results. */
    private static List<Operation> arbitraryTinyLockHistory(RandomGenerator random) {
        int size = 2 + random.nextInt(7);
        List<Operation> ops = new ArrayList<>();
        for (int id = 0; id < size; id++) {
            long invoked = random.nextLong(20);
            long completed = invoked + random.nextLong(8);
            String session = random.nextBoolean() ? "s1" : "s2";
            String value = random.nextBoolean() ? "a" : "b";
            long index = 1 + random.nextLong(4);
            KvOp op;
            KvResult result;
            switch (random.nextInt(6)) {
                case 0, 1 -> {
                    op = new KvOp.Acquire("k", session, value);
                    result = new KvResult.LockResult(random.nextBoolean());
                }
                case 2 -> {
                    op = new KvOp.Release("k", session, value);
                    result = new KvResult.LockResult(random.nextBoolean());
                }
                case 3 -> {
                    op = new KvOp.Put("k", value);
                    result = new KvResult.Written(index);
                }
                default -> {
                    op = new KvOp.Get("k");
                    result = random.nextInt(3) == 0 ? new KvResult.NotFound() : new KvResult.Found(value, index);
                }
            }
            int fate = random.nextInt(10);
            Outcome outcome = fate < 3 ? new Outcome.Unknown("504")
                    : fate == 3 ? new Outcome.Failed("503") : new Outcome.Ok(result);
            ops.add(new Operation(id, id, op, invoked, completed, outcome));
        }
        return ops;
    }
}
