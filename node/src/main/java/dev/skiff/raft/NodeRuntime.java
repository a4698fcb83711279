package dev.skiff.raft;

import dev.skiff.raft.core.Ready;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Where a {@link RaftNode} runs: its clock, its loop, the executors that do its work off the
 * loop, its timers and its log writer. {@link ThreadedRuntime} gives it threads and
 * {@code System.nanoTime}; the simulation gives it a seeded virtual world (one thread, a
 * virtual clock, a simulated disk), so that the node's own code is what the simulation checks.
 */
interface NodeRuntime {

    /** The loop's view of a node: what to do with a batch of events, and when to run without one. */
    interface LoopBody {

        /** Handles {@code batch} (possibly empty: the clock moved) and carries out what the core is ready to do. */
        void runBatch(List<LoopEvent> batch);

        /** The runtime's time at which the loop must run even if no event arrives (the next tick). */
        long nextWakeNanos();

        /** False once the node has stopped: the loop ends. */
        boolean running();

        /** The loop failed with {@code failure}; the node stops. */
        void loopFailed(Throwable failure);

        /** The loop has ended (normally or not). */
        void loopEnded();
    }

    /** Where events for a running loop go. */
    interface EventSink {

        /** Queues {@code event} for the loop; thread-safe, never blocks. */
        void post(LoopEvent event);
    }

    /** Monotonic time in nanoseconds, as {@link System#nanoTime()}. */
    long nanoTime();

    /** Starts the node's loop. */
    EventSink startLoop(String name, LoopBody body);

    /** An executor that runs its tasks one at a time, in submission order (the FSM thread). */
    Executor serialExecutor(String name);

    /** An executor for blocking I/O (snapshot data, snapshot store calls); tasks may run concurrently. */
    Executor ioExecutor(String name);

    /** Runs {@code task} after {@code delayNanos}; the returned action cancels it. */
    Runnable schedule(Runnable task, long delayNanos);

    /** The log writer of a node whose log is in {@code storage}; {@code written} runs after each finished job. */
    LogWriter logWriter(RaftStorage storage, String name, Runnable written);

    /**
     * The loop has carried out {@code ready}: persisted it (or handed it to the log writer, for a
     * leader's entries), sent its messages, handed its committed entries to the FSM runner,
     * compacted and confirmed its reads; the core is advanced unless the log writer still holds
     * it. Called on the loop, once per Ready, in order. A runtime may record it (the core tests'
     * step-by-step scripts trace it); the production runtime ignores it.
     */
    default void readyCarriedOut(Ready ready) {
    }

    /** Stops the executors and timers this runtime made for the node (after its loop ended). */
    void shutdown();
}
