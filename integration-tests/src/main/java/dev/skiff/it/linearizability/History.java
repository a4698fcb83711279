package dev.skiff.it.linearizability;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * Records a history of key-value operations issued by concurrent clients.
 *
 * <p>Usage, in each client thread:
 * <pre>{@code
 * History.Pending call = history.invoke(clientId, new KvOp.Put("k", "c3-17"));
 * ... send the request ...
 * call.ok(new KvResult.Written(index));      // or call.failed("503"), call.unknown("timeout")
 * }</pre>
 * {@link #invoke} reads the clock before the request is sent, and the completing call reads
 * it after the answer arrived, so the recorded interval contains the real one.
 *
 * <p>Thread-safe: any number of threads may invoke and complete operations at once; each
 * {@link Pending} must be completed at most once. {@link #operations()} may be called at any
 * time; operations not yet completed appear with an {@link Outcome.Unknown} outcome, which is
 * what they are to the checker.
 */
public final class History {

    private final LongSupplier clock;
    private final AtomicInteger nextId = new AtomicInteger();
    private final Map<Integer, Pending> pending = new ConcurrentHashMap<>();
    private final Map<Integer, Operation> completed = new ConcurrentHashMap<>();

    /** A history timed by {@link System#nanoTime()}. */
    public History() {
        this(System::nanoTime);
    }

    /** A history timed by {@code clock}, which must be monotonic and shared by all clients. */
    public History(LongSupplier clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Records the invocation of {@code op} by {@code clientId} now. Never blocks. */
    public Pending invoke(int clientId, KvOp op) {
        Objects.requireNonNull(op, "op");
        Pending call = new Pending(nextId.getAndIncrement(), clientId, op, clock.getAsLong());
        pending.put(call.id, call);
        return call;
    }

    /**
     * A snapshot of the history, ordered by invocation time: completed operations as
     * recorded, and operations still pending as {@link Outcome.Unknown} ("no answer recorded").
     */
    public List<Operation> operations() {
        List<Operation> result = new ArrayList<>(completed.values());
        long now = clock.getAsLong();
        for (Pending call : pending.values()) {
            // A call may complete between the two reads: the completed copy wins.
            if (!completed.containsKey(call.id)) {
                result.add(new Operation(call.id, call.clientId, call.op, call.invokedAt,
                        Math.max(now, call.invokedAt), new Outcome.Unknown("no answer recorded")));
            }
        }
        result.sort(Comparator.comparingLong(Operation::invokedAt).thenComparingInt(Operation::id));
        return result;
    }

    /** An invoked operation waiting for its outcome. Complete it exactly once, from any thread. */
    public final class Pending {
        private final int id;
        private final int clientId;
        private final KvOp op;
        private final long invokedAt;
        private final AtomicReference<Outcome> outcome = new AtomicReference<>();

        private Pending(int id, int clientId, KvOp op, long invokedAt) {
            this.id = id;
            this.clientId = clientId;
            this.op = op;
            this.invokedAt = invokedAt;
        }

        /** The operation's id in the history (reports name it {@code #id}). */
        public int id() {
            return id;
        }

        /**
         * A definite result arrived (including a 412 CAS mismatch).
         *
         * @throws IllegalArgumentException if the result does not fit the request
         * @throws IllegalStateException if this call was already completed
         */
        public Operation ok(KvResult result) {
            return complete(new Outcome.Ok(result));
        }

        /** The request certainly did not take effect (e.g. {@code "503"}). */
        public Operation failed(String reason) {
            return complete(new Outcome.Failed(reason));
        }

        /** The request may or may not have taken effect (e.g. {@code "timeout"}, {@code "504"}). */
        public Operation unknown(String reason) {
            return complete(new Outcome.Unknown(reason));
        }

        private Operation complete(Outcome result) {
            long completedAt = clock.getAsLong();
            // Built first: a result that does not fit the request throws and leaves the call pending.
            Operation operation = new Operation(id, clientId, op, invokedAt, completedAt, result);
            if (!outcome.compareAndSet(null, result)) {
                throw new IllegalStateException("operation #" + id + " " + Operation.describeOp(op)
                        + " was already completed with " + outcome.get());
            }
            completed.put(id, operation);
            pending.remove(id);
            return operation;
        }
    }
}
