package dev.skiff.it.linearizability;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Generates histories that are linearizable by construction: every client runs operations
 * back to back over random intervals; each operation that takes effect gets a linearization
 * point inside its interval, and a sequential reference key-value store executes them in the
 * order of those points to produce their results. Unknown-outcome operations take effect (or
 * not) at a point that may lie after the client gave up; failed ones never take effect.
 *
 * <p>Times are abstract ticks (1 tick = 1 µs, to make reports readable).
 */
final class ReferenceHistoryGenerator {

    /**
     * @param clients concurrent clients
     * @param operationsPerClient operations each client issues
     * @param keys distinct keys ("k0", "k1", ...)
     * @param unknownRate share of operations whose outcome is unknown
     * @param failedRate share of operations that fail (never take effect)
     */
    record Shape(int clients, int operationsPerClient, int keys, double unknownRate, double failedRate) {
    }

    private static final long TICK = 1_000;

    private ReferenceHistoryGenerator() {
    }

    static List<Operation> generate(Shape shape, RandomGenerator random) {
        List<Planned> planned = new ArrayList<>();
        int id = 0;
        for (int client = 0; client < shape.clients(); client++) {
            long time = random.nextLong(10);
            for (int k = 0; k < shape.operationsPerClient(); k++) {
                long invoked = time + random.nextLong(5);
                // Mostly short requests, a few slow ones so that many operations overlap them.
                long duration = random.nextDouble() < 0.05 ? 50 + random.nextLong(250) : 1 + random.nextLong(30);
                long completed = invoked + duration;
                double fate = random.nextDouble();
                Fate outcome = fate < shape.unknownRate() ? Fate.UNKNOWN
                        : fate < shape.unknownRate() + shape.failedRate() ? Fate.FAILED : Fate.OK;
                boolean takesEffect = switch (outcome) {
                    case OK -> true;
                    case FAILED -> false;
                    case UNKNOWN -> random.nextBoolean();
                };
                // An unknown write may commit long after the client gave up on it.
                long latest = outcome == Fate.UNKNOWN ? completed + 500 : completed;
                long point = invoked + random.nextLong(latest - invoked + 1);
                String key = "k" + random.nextInt(shape.keys());
                planned.add(new Planned(id++, client, kind(random), key, "c" + client + "-" + k, invoked, completed,
                        outcome, takesEffect, point));
                time = completed + 1;
            }
        }

        Reference store = new Reference(random);
        List<Planned> byPoint = planned.stream().filter(Planned::takesEffect)
                .sorted(Comparator.comparingLong(Planned::point).thenComparingInt(Planned::id)).toList();
        Map<Integer, Operation> executed = new HashMap<>();
        for (Planned p : byPoint) {
            executed.put(p.id(), store.execute(p));
        }
        List<Operation> history = new ArrayList<>();
        for (Planned p : planned) {
            Operation op = executed.get(p.id());
            if (op == null || p.fate() != Fate.OK) {
                // Not executed (failed or unknown-and-dropped), or executed but the client never heard.
                KvOp request = op != null ? op.op() : store.requestFor(p);
                Outcome outcome = p.fate() == Fate.FAILED ? new Outcome.Failed("503") : new Outcome.Unknown("504");
                op = new Operation(p.id(), p.client(), request, p.invoked() * TICK, p.completed() * TICK, outcome);
            }
            history.add(op);
        }
        return history;
    }

    private enum Fate { OK, FAILED, UNKNOWN }

    private enum Kind { PUT, GET, CAS, DELETE, CAS_DELETE }

    private static Kind kind(RandomGenerator random) {
        int r = random.nextInt(100);
        if (r < 35) {
            return Kind.PUT;
        }
        if (r < 70) {
            return Kind.GET;
        }
        if (r < 85) {
            return Kind.CAS;
        }
        return r < 93 ? Kind.DELETE : Kind.CAS_DELETE;
    }

    private record Planned(int id, int client, Kind kind, String key, String value, long invoked, long completed,
                           Fate fate, boolean takesEffect, long point) {
    }

    /** The sequential store: one Raft-like index counter for all keys, a map of key to (value, modifyIndex). */
    private static final class Reference {
        private record Entry(String value, long modifyIndex) {
        }

        private final RandomGenerator random;
        private final Map<String, Entry> data = new HashMap<>();
        private final Map<String, List<Long>> pastIndexes = new HashMap<>();
        private long index;

        Reference(RandomGenerator random) {
            this.random = random;
        }

        /** Runs the request at its linearization point and returns it with its result. */
        Operation execute(Planned p) {
            KvOp request = requestFor(p);
            Entry current = data.get(p.key());
            long currentIndex = current == null ? 0 : current.modifyIndex();
            KvResult result = switch (request) {
                case KvOp.Put put -> write(p.key(), put.value());
                case KvOp.Cas cas -> cas.expectedModifyIndex() == currentIndex
                        ? write(p.key(), cas.value())
                        : new KvResult.Mismatch(currentIndex);
                case KvOp.Get get -> current == null
                        ? new KvResult.NotFound()
                        : new KvResult.Found(current.value(), current.modifyIndex());
                case KvOp.Delete delete -> remove(p.key(), current != null);
                case KvOp.CasDelete delete -> current == null ? remove(p.key(), false)
                        : delete.expectedModifyIndex() == currentIndex ? remove(p.key(), true)
                        : new KvResult.Mismatch(currentIndex);
                case KvOp.Acquire a -> throw new IllegalStateException("the generator makes no lock requests: " + a);
                case KvOp.Release r -> throw new IllegalStateException("the generator makes no lock requests: " + r);
            };
            return new Operation(p.id(), p.client(), request, p.invoked() * TICK, p.completed() * TICK,
                    new Outcome.Ok(result));
        }

        /**
         * The request for a planned operation. A CAS expects the current index more often than
         * not (so that many succeed), else an older or made-up one; the choice is made here so
         * it can depend on the store, as a real client's would on what it read earlier.
         */
        KvOp requestFor(Planned p) {
            return switch (p.kind()) {
                case PUT -> new KvOp.Put(p.key(), p.value());
                case GET -> new KvOp.Get(p.key());
                case DELETE -> new KvOp.Delete(p.key());
                case CAS -> new KvOp.Cas(p.key(), expectedIndex(p.key()), p.value());
                case CAS_DELETE -> new KvOp.CasDelete(p.key(), Math.max(1, expectedIndex(p.key())));
            };
        }

        private long expectedIndex(String key) {
            Entry current = data.get(key);
            List<Long> past = pastIndexes.getOrDefault(key, List.of());
            int r = random.nextInt(10);
            if (r < 6) {
                return current == null ? 0 : current.modifyIndex();
            }
            if (r < 9 && !past.isEmpty()) {
                return past.get(random.nextInt(past.size()));
            }
            return random.nextInt(3);
        }

        private KvResult write(String key, String value) {
            index += 1 + random.nextInt(3);
            data.put(key, new Entry(value, index));
            pastIndexes.computeIfAbsent(key, k -> new ArrayList<>()).add(index);
            return new KvResult.Written(index);
        }

        private KvResult remove(String key, boolean present) {
            index += 1 + random.nextInt(3);
            data.remove(key);
            return new KvResult.Deletion(index, present);
        }
    }
}
