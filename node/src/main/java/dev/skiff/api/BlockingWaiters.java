package dev.skiff.api;

import dev.skiff.kv.KvState;
import io.undertow.server.HttpServerExchange;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToLongFunction;

/**
 * Blocking reads (API.md §8, Consul's rules): a read with {@code index=N} whose watched index is
 * still N parks here with no thread at all (its exchange stays open, a timer sits on its I/O
 * thread) until the state machine publishes a state in which the index moved, or its wait runs
 * out; then its continuation runs once. The state machine's change listener calls
 * {@link #changed}, on the FSM thread, right after each apply, so a waiter wakes within the time
 * it takes to hand its continuation to a worker.
 */
final class BlockingWaiters {

    private final Set<Waiter> waiters = ConcurrentHashMap.newKeySet();

    private final class Waiter {
        final ToLongFunction<KvState> index;
        final long seen;
        final Runnable resume;
        final AtomicBoolean fired = new AtomicBoolean();

        Waiter(ToLongFunction<KvState> index, long seen, Runnable resume) {
            this.index = index;
            this.seen = seen;
            this.resume = resume;
        }

        void fire() {
            if (fired.compareAndSet(false, true)) {
                waiters.remove(this);
                resume.run();
            }
        }
    }

    /**
     * Parks {@code exchange} until {@code index} of the state differs from {@code seen} or
     * {@code waitMillis} pass, then runs {@code resume} (once, on the FSM thread or the
     * exchange's I/O thread: it must only hand the work on). Returns false, parking nothing, if
     * the index already differs in {@code current}.
     */
    boolean park(HttpServerExchange exchange, KvState current, ToLongFunction<KvState> index, long seen, long waitMillis,
                 Runnable resume) {
        Waiter waiter = new Waiter(index, seen, resume);
        waiters.add(waiter);
        // Checked after registering, so that a change published in between is not missed.
        if (index.applyAsLong(current) != seen) {
            waiters.remove(waiter);
            return false;
        }
        exchange.getIoThread().executeAfter(waiter::fire, waitMillis, TimeUnit.MILLISECONDS);
        return true;
    }

    /** Wakes every waiter whose index moved in {@code state}. FSM thread; never blocks. */
    void changed(KvState state) {
        for (Waiter w : waiters) {
            if (w.index.applyAsLong(state) != w.seen) {
                w.fire();
            }
        }
    }

    /** How many reads are parked; for tests and metrics. */
    int parked() {
        return waiters.size();
    }
}
