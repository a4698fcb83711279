package dev.skiff.api;

import dev.skiff.kv.KvState;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.xnio.XnioExecutor;

/**
 * Blocking reads (API.md §8, Consul's rules): a read with {@code index=N} whose watched index is
 * still N parks here with no thread at all (its exchange stays open, a timer sits on its I/O
 * thread) until the state machine publishes a state in which the index moved, or its wait runs
 * out; then its continuation runs once. The state machine's change listener calls
 * {@link #changed}, on the FSM thread, right after each apply; that only records the state and
 * hands the scan of the waiters to {@code notifier}, one scan at a time against the latest state
 * (publications that arrive during a scan are covered by the next one). So the FSM thread never
 * walks the waiters: with 10,000 parked reads that walk delayed the write that woke them by 90 ms
 * (bench/README.md), and it ran once per applied batch. With no read parked, no scan is started
 * at all: under plain writes that was a new virtual thread per applied batch, each woken on a
 * carrier thread for nothing.
 */
final class BlockingWaiters {

    private final Set<Waiter> waiters = ConcurrentHashMap.newKeySet();
    /**
     * Waiters registered and not yet fired or withdrawn. A reader counts itself before it reads
     * the state, and {@link #changed} reads the count after the state machine published the
     * state: of two such threads at least one sees the other's write (both are volatile), so a
     * reader that {@code changed} does not count has seen the new state itself and not parked.
     */
    private final AtomicInteger registered = new AtomicInteger();
    private final Executor notifier;
    private final AtomicReference<KvState> latest = new AtomicReference<>();
    private final AtomicBoolean scanScheduled = new AtomicBoolean();

    /** @param notifier runs the scans of the waiters (each scan only hands continuations on) */
    BlockingWaiters(Executor notifier) {
        this.notifier = notifier;
    }

    private final class Waiter {
        final Predicate<KvState> moved;
        final Runnable resume;
        final AtomicBoolean fired = new AtomicBoolean();

        Waiter(Predicate<KvState> moved, Runnable resume) {
            this.moved = moved;
            this.resume = resume;
        }

        void fire() {
            if (take()) {
                resume.run();
            }
        }

        /** Takes this waiter out, once: true for the one caller (scan, timer or the reader itself) that did. */
        boolean take() {
            if (!fired.compareAndSet(false, true)) {
                return false;
            }
            waiters.remove(this);
            registered.decrementAndGet();
            return true;
        }
    }

    /**
     * Parks a reader until a published state is one it waits for ({@code moved}) or {@code
     * waitMillis} pass, then runs {@code resume} (once, on the scan's thread or {@code timer},
     * the exchange's I/O thread: it must only hand the work on). Returns false, parking nothing,
     * if the {@code current} state already is.
     */
    boolean park(XnioExecutor timer, Supplier<KvState> current, Predicate<KvState> moved, long waitMillis,
                 Runnable resume) {
        Waiter waiter = new Waiter(moved, resume);
        registered.incrementAndGet();
        waiters.add(waiter);
        // The state is read after registering, so that a change published in between is not missed.
        if (moved.test(current.get())) {
            // Withdrawn, unless a scan saw the same change and fired it meanwhile: then its
            // resume answers the reader, and so the reader counts as parked.
            return !waiter.take();
        }
        timer.executeAfter(waiter::fire, waitMillis, TimeUnit.MILLISECONDS);
        return true;
    }

    /**
     * Wakes, soon, every waiter whose index moved in {@code state} (already published by the
     * state machine) or a later one. FSM thread; O(1).
     */
    void changed(KvState state) {
        latest.set(state);
        if (registered.get() > 0 && scanScheduled.compareAndSet(false, true)) {
            try {
                notifier.execute(this::scan);
            } catch (RejectedExecutionException closed) {
                // The API has closed (the node is stopping; Raft may still apply until it stops):
                // no reader is left to wake, and the state machine must not fail over it.
            }
        }
    }

    private void scan() {
        // Cleared before the state is read: a publication after this point schedules a scan of its own.
        scanScheduled.set(false);
        KvState state = latest.get();
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
