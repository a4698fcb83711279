package dev.skiff.it.linearizability;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class RandomizedHistoryTest {

    private static final ReferenceHistoryGenerator.Shape SMALL =
            new ReferenceHistoryGenerator.Shape(5, 30, 2, 0.05, 0.05);

    private final LinearizabilityChecker checker = new LinearizabilityChecker();

    @Test
    void when_historyComesFromSequentialExecution_then_itIsLinearizable() {
        int seeds = 300;
        for (long seed = 0; seed < seeds; seed++) {
            List<Operation> history = ReferenceHistoryGenerator.generate(SMALL, new SplittableRandom(seed));

            Verdict verdict = checker.check(history);

            long s = seed;
            assertThat(verdict).as(() -> "seed " + s + ": " + explain(verdict)).isInstanceOf(Verdict.Linearizable.class);
        }
        System.out.println("random reference histories: " + seeds + " of " + seeds + " linearizable ("
                + SMALL.clients() * SMALL.operationsPerClient() + " operations each)");
    }

    @Test
    void when_aReadIsMadeProvablyStale_then_theViolationIsFound() {
        int mutated = 0;
        for (long seed = 0; seed < 300; seed++) {
            RandomGenerator random = new SplittableRandom(seed);
            List<Operation> history = ReferenceHistoryGenerator.generate(SMALL, random);
            Optional<List<Operation>> stale = makeOneReadStale(history, random);
            if (stale.isEmpty()) {
                continue;
            }
            mutated++;

            Verdict verdict = checker.check(stale.get());

            long s = seed;
            assertThat(verdict).as(() -> "seed " + s + ": " + verdict.summary()).isInstanceOf(Verdict.Violation.class);
        }
        System.out.println("provably stale reads: " + mutated + " histories mutated, " + mutated + " violations found");
        assertThat(mutated).isGreaterThan(100);
    }

    @Test
    void when_aReadResultIsChangedAtRandom_then_mostChangesAreCaught() {
        int mutated = 0;
        int caught = 0;
        for (long seed = 0; seed < 300; seed++) {
            RandomGenerator random = new SplittableRandom(seed);
            List<Operation> history = ReferenceHistoryGenerator.generate(SMALL, random);
            Optional<List<Operation>> changed = changeOneReadAtRandom(history, random);
            if (changed.isEmpty()) {
                continue;
            }
            mutated++;
            Verdict verdict = checker.check(changed.get());
            assertThat(verdict).isNotInstanceOf(Verdict.Inconclusive.class);
            if (verdict instanceof Verdict.Violation) {
                caught++;
            }
        }
        // Not asserted beyond "some": a changed read can still be explainable (e.g. it now
        // returns what a concurrent write wrote).
        System.out.println("random read changes: " + caught + " of " + mutated + " caught as violations");
        assertThat(caught).isGreaterThan(0);
    }

    @Test
    void when_tinyArbitraryHistoriesAreChecked_then_theSearchAgreesWithBruteForce() {
        int histories = 5000;
        int linearizable = 0;
        for (long seed = 0; seed < histories; seed++) {
            List<Operation> history = arbitraryTinyHistory(new SplittableRandom(seed));

            boolean expected = BruteForceChecker.isLinearizable(history);
            Verdict verdict = checker.check(history);

            long s = seed;
            assertThat(verdict).as(() -> "seed " + s + ", brute force says " + expected + ": " + explain(verdict))
                    .isInstanceOf(expected ? Verdict.Linearizable.class : Verdict.Violation.class);
            linearizable += expected ? 1 : 0;
        }
        System.out.println("brute-force agreement: " + histories + " tiny histories, " + linearizable
                + " linearizable, " + (histories - linearizable) + " not");
        assertThat(linearizable).isBetween(histories / 20, histories - histories / 20);
    }

    @Test
    void when_tinyHistoriesAreCheckedWithAnUnknownOutcomeWindow_then_theSearchAgreesWithBruteForce() {
        long window = 2;
        LinearizabilityChecker windowed = new LinearizabilityChecker(Budget.DEFAULT, Duration.ofNanos(window));
        int histories = 20_000;
        int differ = 0;
        for (long seed = 0; seed < histories; seed++) {
            List<Operation> history = arbitraryTinyHistory(new SplittableRandom(seed));

            boolean expected = BruteForceChecker.isLinearizable(history, window);
            Verdict verdict = windowed.check(history);

            long s = seed;
            assertThat(verdict).as(() -> "seed " + s + ", brute force says " + expected + ": " + explain(verdict))
                    .isInstanceOf(expected ? Verdict.Linearizable.class : Verdict.Violation.class);
            differ += expected != BruteForceChecker.isLinearizable(history) ? 1 : 0;
        }
        System.out.println("brute-force agreement with a window: " + histories + " tiny histories, " + differ
                + " decided differently than without the window");
        assertThat(differ).isPositive();
    }

    @Test
    void when_smallGeneratedHistoriesAreMutated_then_theSearchAgreesWithBruteForce() {
        // 12 operations, 30 % unknown outcomes, half of them with one result changed; the
        // generator's unknown writes take effect within 0.5 ms, so both windows are honest.
        ReferenceHistoryGenerator.Shape shape = new ReferenceHistoryGenerator.Shape(3, 4, 1, 0.3, 0.1);
        long windowNanos = 20_000;
        LinearizabilityChecker windowed = new LinearizabilityChecker(Budget.DEFAULT, Duration.ofNanos(windowNanos));
        int histories = 3000;
        int linearizable = 0;
        for (long seed = 0; seed < histories; seed++) {
            RandomGenerator random = new SplittableRandom(seed);
            List<Operation> generated = ReferenceHistoryGenerator.generate(shape, random);
            List<Operation> history = random.nextBoolean() ? changeOneResult(generated, random) : generated;

            boolean expected = BruteForceChecker.isLinearizable(history);
            boolean expectedWindowed = BruteForceChecker.isLinearizable(history, windowNanos);
            Verdict verdict = checker.check(history);
            Verdict verdictWindowed = windowed.check(history);

            long s = seed;
            assertThat(verdict).as(() -> "seed " + s + ": " + explain(verdict))
                    .isInstanceOf(expected ? Verdict.Linearizable.class : Verdict.Violation.class);
            assertThat(verdictWindowed).as(() -> "seed " + s + " with a window: " + explain(verdictWindowed))
                    .isInstanceOf(expectedWindowed ? Verdict.Linearizable.class : Verdict.Violation.class);
            linearizable += expected ? 1 : 0;
        }
        System.out.println("brute-force agreement on generated histories: " + histories + " of 12 operations, "
                + linearizable + " linearizable, " + (histories - linearizable) + " not");
        assertThat(linearizable).isBetween(histories / 20, histories - histories / 20);
    }

    /** Replaces one definite result with a nearby wrong one (it may still be explainable). */
    private static List<Operation> changeOneResult(List<Operation> history, RandomGenerator random) {
        int at = random.nextInt(history.size());
        Operation op = history.get(at);
        if (!(op.outcome() instanceof Outcome.Ok(KvResult result))) {
            return history;
        }
        KvResult changed = switch (result) {
            case KvResult.Found f -> random.nextBoolean()
                    ? new KvResult.NotFound()
                    : new KvResult.Found(f.value(), f.modifyIndex() + 1);
            case KvResult.NotFound n -> new KvResult.Found("c0-0", 1 + random.nextInt(5));
            case KvResult.Written w -> new KvResult.Written(Math.max(1, w.index() - 1 - random.nextInt(3)));
            case KvResult.Mismatch m -> new KvResult.Mismatch(m.currentModifyIndex() + 1);
            case KvResult.Deletion d -> new KvResult.Deletion(d.index(), !d.deleted());
            case KvResult.LockResult l -> new KvResult.LockResult(!l.applied());
        };
        List<Operation> copy = new ArrayList<>(history);
        copy.set(at, new Operation(op.id(), op.clientId(), op.op(), op.invokedAt(), op.completedAt(),
                new Outcome.Ok(changed)));
        return copy;
    }

    @Test
    void when_historyIsLarge_then_checkerThroughputIsPrinted() {
        // About 3,000 operations per key: 8 clients x 1,200 operations over 3 keys.
        ReferenceHistoryGenerator.Shape large = new ReferenceHistoryGenerator.Shape(8, 1200, 3, 0.02, 0.02);
        RandomGenerator random = new SplittableRandom(42);
        List<Operation> history = ReferenceHistoryGenerator.generate(large, random);
        List<Operation> stale = makeOneReadStale(history, random).orElseThrow();
        // The generator's unknown outcomes take effect within 0.5 ms of completion, if at all.
        LinearizabilityChecker windowed = new LinearizabilityChecker(Budget.DEFAULT, Duration.ofMillis(1));

        Verdict good = checker.check(history);
        Verdict goodWindowed = windowed.check(history);
        Verdict bad = checker.check(stale);
        Verdict badWindowed = windowed.check(stale);

        assertThat(good).as(() -> explain(good)).isInstanceOf(Verdict.Linearizable.class);
        assertThat(goodWindowed).as(() -> explain(goodWindowed)).isInstanceOf(Verdict.Linearizable.class);
        assertThat(bad).as(bad::summary).isInstanceOf(Verdict.Violation.class);
        assertThat(badWindowed).as(badWindowed::summary).isInstanceOf(Verdict.Violation.class);
        System.out.println(String.format(Locale.ROOT,
                "checker throughput: %d ops linearizable in %d ms (%.0f ops/s, %d steps); one stale read found in "
                        + "%d ms (%d steps, prefix search included); with a 1 ms unknown-outcome window: %d ms and %d ms",
                history.size(), good.elapsed().toMillis(), history.size() / seconds(good), good.steps(),
                bad.elapsed().toMillis(), bad.steps(), goodWindowed.elapsed().toMillis(),
                badWindowed.elapsed().toMillis()));
    }

    /**
     * Replaces the result of one successful get with an older write's (value, index), where
     * a write with a higher index completed before the get was invoked. Write indexes only
     * grow along any linearization and a read must see the current index, so the result is
     * certainly not linearizable.
     */
    static Optional<List<Operation>> makeOneReadStale(List<Operation> history, RandomGenerator random) {
        List<Integer> reads = new ArrayList<>();
        for (int i = 0; i < history.size(); i++) {
            if (history.get(i).op() instanceof KvOp.Get && history.get(i).outcome() instanceof Outcome.Ok) {
                reads.add(i);
            }
        }
        int start = reads.isEmpty() ? 0 : random.nextInt(reads.size());
        for (int k = 0; k < reads.size(); k++) {
            int at = reads.get((start + k) % reads.size());
            Operation read = history.get(at);
            long newestCompleted = 0;
            for (Operation op : history) {
                if (op.key().equals(read.key()) && op.completedAt() < read.invokedAt()) {
                    newestCompleted = Math.max(newestCompleted, definiteWriteIndex(op));
                }
            }
            for (Operation op : history) {
                if (op.key().equals(read.key()) && op.outcome() instanceof Outcome.Ok(KvResult.Written w)
                        && w.index() < newestCompleted) {
                    String value = op.op() instanceof KvOp.Put p ? p.value() : ((KvOp.Cas) op.op()).value();
                    List<Operation> copy = new ArrayList<>(history);
                    copy.set(at, new Operation(read.id(), read.clientId(), read.op(), read.invokedAt(),
                            read.completedAt(), new Outcome.Ok(new KvResult.Found(value, w.index()))));
                    return Optional.of(copy);
                }
            }
        }
        return Optional.empty();
    }

    /** The index of a write that certainly took effect with a known index, else 0. */
    private static long definiteWriteIndex(Operation op) {
        return switch (op.outcome()) {
            case Outcome.Ok(KvResult.Written w) -> w.index();
            case Outcome.Ok(KvResult.Deletion d) when d.deleted() -> d.index();
            default -> 0;
        };
    }

    /** Gives one successful get the result of another read of the same key, or 404. */
    private static Optional<List<Operation>> changeOneReadAtRandom(List<Operation> history, RandomGenerator random) {
        List<Integer> reads = new ArrayList<>();
        for (int i = 0; i < history.size(); i++) {
            if (history.get(i).op() instanceof KvOp.Get && history.get(i).outcome() instanceof Outcome.Ok) {
                reads.add(i);
            }
        }
        if (reads.size() < 2) {
            return Optional.empty();
        }
        Operation read = history.get(reads.get(random.nextInt(reads.size())));
        Operation other = history.get(reads.get(random.nextInt(reads.size())));
        Outcome replacement = other.outcome().equals(read.outcome()) || !other.key().equals(read.key())
                ? new Outcome.Ok(new KvResult.NotFound())
                : other.outcome();
        if (replacement.equals(read.outcome())) {
            return Optional.empty();
        }
        List<Operation> copy = new ArrayList<>(history);
        copy.set(history.indexOf(read), new Operation(read.id(), read.clientId(), read.op(), read.invokedAt(),
                read.completedAt(), replacement));
        return Optional.of(copy);
    }

    /** Up to 8 operations on one key with arbitrary (mostly wrong) results from a small domain. */
    private static List<Operation> arbitraryTinyHistory(RandomGenerator random) {
        int size = 2 + random.nextInt(7);
        List<Operation> ops = new ArrayList<>();
        for (int id = 0; id < size; id++) {
            long invoked = random.nextLong(20);
            long completed = invoked + random.nextLong(8);
            String value = random.nextBoolean() ? "a" : "b";
            long index = 1 + random.nextLong(4);
            long expected = random.nextLong(4);
            KvOp op;
            KvResult result;
            switch (random.nextInt(5)) {
                case 0 -> {
                    op = new KvOp.Put("k", value);
                    result = new KvResult.Written(index);
                }
                case 1 -> {
                    op = new KvOp.Cas("k", expected, value);
                    result = random.nextBoolean() ? new KvResult.Written(index)
                            : new KvResult.Mismatch(expected == index ? 0 : index);
                }
                case 2, 3 -> {
                    op = new KvOp.Get("k");
                    result = random.nextInt(3) == 0 ? new KvResult.NotFound() : new KvResult.Found(value, index);
                }
                default -> {
                    op = random.nextBoolean() ? new KvOp.Delete("k") : new KvOp.CasDelete("k", 1 + expected);
                    result = new KvResult.Deletion(index, random.nextBoolean());
                }
            }
            // Many unknown outcomes: they exercise the search's pruning rules the most.
            int fate = random.nextInt(10);
            Outcome outcome = fate < 3 ? new Outcome.Unknown("504")
                    : fate == 3 ? new Outcome.Failed("503") : new Outcome.Ok(result);
            ops.add(new Operation(id, id, op, invoked, completed, outcome));
        }
        return ops;
    }

    private static double seconds(Verdict verdict) {
        return Math.max(1, verdict.elapsed().toNanos()) / 1e9;
    }

    private static String explain(Verdict verdict) {
        return verdict instanceof Verdict.Violation v ? v.explanation() : verdict.summary();
    }
}
