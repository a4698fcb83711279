package dev.skiff.raft;

import dev.skiff.raft.core.Ready;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * The {@link NodeRuntime} of a {@link ScriptNode}: nothing happens until the script calls
 * {@link #pump}, which runs the node's loop, disk and tasks on the calling thread until the node
 * is quiet. Time moves only by {@link #advance}. Deterministic: one FIFO of tasks (the FSM and
 * I/O executors), the log writer's jobs in order, timers by due time.
 */
final class ScriptRuntime implements NodeRuntime {

    /** Bound on the steps of one {@link #pump}: a node that never settles is a bug. */
    private static final int MAX_STEPS = 100_000;

    private record Timer(long due, Runnable task, boolean[] cancelled) {
    }

    private final String nodeId;
    private long now;
    private boolean alive = true;
    private LoopBody body;
    private final ArrayDeque<LoopEvent> queued = new ArrayDeque<>();
    private boolean runRequested;
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private final List<Timer> timers = new ArrayList<>();
    private ScriptLogWriter logWriter;
    /** While true, the log writer's jobs stay queued (a slow disk); the loop waiting for the writer still finishes them. */
    private boolean diskHeld;
    private final List<Ready> carriedOut = new ArrayList<>();

    ScriptRuntime(String nodeId) {
        this.nodeId = nodeId;
    }

    /** Moves this node's clock on by {@code nanos}; the next {@link #pump} sees it. */
    void advance(long nanos) {
        now += nanos;
    }

    /** Holds (or releases) the leader's log writer: its queued writes finish only once released. */
    void holdDisk(boolean held) {
        diskHeld = held;
    }

    /** Ends this incarnation: nothing queued for it runs any more; writes not yet done are lost. */
    void kill() {
        alive = false;
        queued.clear();
        tasks.clear();
        timers.clear();
        if (logWriter != null) {
            logWriter.close();
        }
    }

    /**
     * Runs the node until it is quiet: loop batches first (with {@code runLoop}, at least one,
     * which also catches the core's ticks up with the clock), then finished disk writes, due
     * timers and queued tasks, each followed by the loop again if it posted something.
     */
    void pump(boolean runLoop) {
        runRequested |= runLoop;
        for (int steps = 0; alive; steps++) {
            if (steps == MAX_STEPS) {
                throw new IllegalStateException(nodeId + ": the node does not settle after " + steps + " steps");
            }
            if (runRequested || !queued.isEmpty()) {
                runRequested = false;
                runBatch();
            } else if (!diskHeld && logWriter != null && logWriter.completeOne()) {
                continue;
            } else if (fireDueTimer()) {
                continue;
            } else if (!tasks.isEmpty()) {
                tasks.poll().run();
            } else {
                return;
            }
        }
    }

    /** The Readies the loop carried out since the last call, in order. */
    List<Ready> takeCarriedOut() {
        List<Ready> out = List.copyOf(carriedOut);
        carriedOut.clear();
        return out;
    }

    private void runBatch() {
        if (body == null || !body.running()) {
            return;
        }
        List<LoopEvent> batch = new ArrayList<>(queued);
        queued.clear();
        try {
            body.runBatch(batch);
        } catch (RuntimeException | AssertionError e) {
            body.loopFailed(e);
            body.loopEnded();
            throw new IllegalStateException(nodeId + ": raft loop failed: " + e, e);
        }
        if (!body.running()) {
            body.loopEnded();
        }
    }

    private boolean fireDueTimer() {
        Timer next = null;
        for (Timer t : timers) {
            if (t.due() <= now && (next == null || t.due() < next.due())) {
                next = t;
            }
        }
        if (next == null) {
            return false;
        }
        timers.remove(next);
        if (!next.cancelled()[0]) {
            next.task().run();
        }
        return true;
    }

    @Override
    public long nanoTime() {
        return now;
    }

    @Override
    public EventSink startLoop(String name, LoopBody loopBody) {
        this.body = loopBody;
        runRequested = true;
        return event -> {
            if (alive) {
                queued.add(event);
            }
        };
    }

    @Override
    public Executor serialExecutor(String name) {
        return this::queueTask;
    }

    @Override
    public Executor ioExecutor(String name) {
        return this::queueTask;
    }

    private void queueTask(Runnable task) {
        if (alive) {
            tasks.add(task);
        }
    }

    /** Due times, on this node's clock, of the timers neither fired nor cancelled. */
    List<Long> pendingTimers() {
        return timers.stream().filter(t -> !t.cancelled()[0]).map(Timer::due).toList();
    }

    @Override
    public Runnable schedule(Runnable task, long delayNanos) {
        boolean[] cancelled = new boolean[1];
        if (alive) {
            timers.add(new Timer(now + delayNanos, task, cancelled));
        }
        return () -> cancelled[0] = true;
    }

    @Override
    public LogWriter logWriter(RaftStorage storage, String name, Runnable written) {
        logWriter = new ScriptLogWriter(storage, written);
        return logWriter;
    }

    @Override
    public void readyCarriedOut(Ready ready) {
        carriedOut.add(ready);
    }

    @Override
    public void shutdown() {
        alive = false;
    }

    /** The leader's log writer: its jobs are done, in order, when the runtime is pumped. */
    private static final class ScriptLogWriter implements LogWriter {

        private record Job(Ready ready, boolean compaction) {
        }

        private final RaftStorage storage;
        private final Runnable written;
        private final ArrayDeque<Job> jobs = new ArrayDeque<>();
        private final ArrayDeque<Completed> completed = new ArrayDeque<>();
        private boolean failed;

        ScriptLogWriter(RaftStorage storage, Runnable written) {
            this.storage = storage;
            this.written = written;
        }

        @Override
        public void submit(Ready ready) {
            jobs.add(new Job(ready, false));
        }

        @Override
        public void submitCompaction(Ready ready) {
            jobs.add(new Job(ready, true));
        }

        /** Does the oldest job, if any, and tells the loop; false if there was none. */
        boolean completeOne() {
            if (jobs.isEmpty()) {
                return false;
            }
            complete(jobs.poll());
            written.run();
            return true;
        }

        private void complete(Job job) {
            Exception failure = null;
            boolean skip = failed && !job.compaction();
            if (!skip) {
                try {
                    if (job.compaction()) {
                        storage.compact(job.ready());
                    } else {
                        storage.persist(job.ready());
                    }
                } catch (java.io.IOException | RuntimeException e) {
                    failure = e;
                }
            }
            if (!job.compaction()) {
                completed.add(new Completed(job.ready(), failure, skip));
                failed |= failure != null;
            }
        }

        @Override
        public boolean idle() {
            return jobs.isEmpty();
        }

        @Override
        public void awaitIdle() {
            while (!jobs.isEmpty()) {
                complete(jobs.poll());
            }
        }

        @Override
        public Completed takeCompleted() {
            return completed.poll();
        }

        @Override
        public void resume() {
            failed = false;
        }

        @Override
        public void close() {
            jobs.clear();
        }
    }
}
