package dev.skiff.api;

import dev.skiff.kv.KvState;
import io.undertow.server.HttpServerExchange;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.function.Supplier;

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
        final Predicate<KvState> moved;
        final Runnable resume;
        final AtomicBoolean fired = new AtomicBoolean();

        Waiter(Predicate<KvState> moved, Runnable resume) {
            this.moved = moved;
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
     * Parks {@code exchange} until a published state is one the reader waits for ({@code
     * moved}) or {@code waitMillis} pass, then runs {@code resume} (once, on the FSM thread or
     * the exchange's I/O thread: it must only hand the work on). Returns false, parking nothing,
     * if the {@code current} state already is.
     */
    boolean park(HttpServerExchange exchange, Supplier<KvState> current, Predicate<KvState> moved, long waitMillis,
                 Runnable resume) {
        Waiter waiter = new Waiter(moved, resume);
        waiters.add(waiter);
        // The state is read after registering, so that a change published in between is not missed.
        if (moved.test(current.get())) {
            waiters.remove(waiter);
            return false;
        }
        exchange.getIoThread().executeAfter(waiter::fire, waitMillis, TimeUnit.MILLISECONDS);
        return true;
    }

    /** Wakes every waiter whose index moved in {@code state}. FSM thread; never blocks. */
    void changed(KvState state) {
        for (Waiter w : waiters) {
            if (w.moved.test(state)) {
                w.fire();
            }
        }
    }

    /** How many reads are parked; for tests and metrics. */
    int parked() {
        return waiters.size();
    }
}
