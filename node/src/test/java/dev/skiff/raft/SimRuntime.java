package dev.skiff.raft;

import dev.skiff.raft.core.Ready;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;

/**
 * The simulation's {@link NodeRuntime} for one incarnation of one server: every piece of work
 * the node hands to its runtime (loop batches, FSM tasks, I/O, timers, log writes) becomes an
 * event on the {@link SimCluster}'s virtual clock, so a whole cluster of real {@link RaftNode}s
 * runs on one thread, deterministically for a seed.
 *
 * <p>The server's clock runs at its own rate (oscillators differ). A <b>stall</b> freezes the
 * whole process (loop, FSM, disk completions, timers) while messages and client requests keep
 * queueing, as SIGSTOP or a long GC pause does; on resume everything runs again in order and the
 * clock has jumped. A <b>crash</b> ({@link #kill}) ends the incarnation: nothing scheduled for
 * it runs any more.
 */
final class SimRuntime implements NodeRuntime {

    private final SimCluster cluster;
    private final SimNode node;
    private final double rate;
    private final long clockOffsetNanos;
    private boolean alive = true;
    private boolean stalled;
    private final List<Runnable> deferred = new ArrayList<>();
    private SimLogWriter logWriter;

    // The loop.
    private LoopBody body;
    private final ArrayDeque<LoopEvent> queued = new ArrayDeque<>();
    private boolean runScheduled;
    private long wakeScheduledAt = Long.MAX_VALUE;

    SimRuntime(SimCluster cluster, SimNode node, double rate, long clockOffsetNanos) {
        this.cluster = cluster;
        this.node = node;
        this.rate = rate;
        this.clockOffsetNanos = clockOffsetNanos;
    }

    /** Runs {@code action} after {@code delayMicros} of virtual time, if this incarnation still lives and is not stalled then. */
    void later(long delayMicros, Runnable action) {
        cluster.schedule(delayMicros, () -> run(action));
    }

    private void run(Runnable action) {
        if (!alive) {
            return;
        }
        if (stalled) {
            deferred.add(action);
            return;
        }
        action.run();
    }

    boolean alive() {
        return alive;
    }

    boolean stalled() {
        return stalled;
    }

    void stall() {
        stalled = true;
    }

    /** Resumes a stalled process: what queued up meanwhile runs, in order, now. */
    void resume() {
        stalled = false;
        List<Runnable> todo = new ArrayList<>(deferred);
        deferred.clear();
        for (Runnable r : todo) {
            later(0, r);
        }
        scheduleRun(0);
    }

    /** Ends this incarnation; of its queued disk writes, the first {@code durable} reached the disk. */
    void kill(int durable) {
        if (logWriter != null) {
            logWriter.crash(durable);
        }
        alive = false;
        deferred.clear();
        queued.clear();
    }

    /** The runtime's state, for failure reports. */
    String describe() {
        return (alive ? "" : "dead ") + (stalled ? "stalled " : "") + (runScheduled ? "run-scheduled " : "")
                + "queued=" + queued.size() + " deferred=" + deferred.size() + (body != null && body.running() ? "" : " stopped");
    }

    int queuedDiskWrites() {
        return logWriter == null ? 0 : logWriter.queued();
    }

    @Override
    public long nanoTime() {
        return clockOffsetNanos + (long) (cluster.now() * 1000 * rate);
    }

    private long microsUntil(long nanos) {
        return Math.max(0, (long) Math.ceil((nanos - nanoTime()) / 1000.0 / rate));
    }

    // ---------------------------------------------------------------- loop

    @Override
    public EventSink startLoop(String name, LoopBody loopBody) {
        this.body = loopBody;
        scheduleRun(0);
        return event -> {
            if (!alive) {
                return;
            }
            queued.add(event);
            scheduleRun(cluster.loopLatency());
        };
    }

    private void scheduleRun(long delayMicros) {
        if (runScheduled || !alive) {
            return;
        }
        runScheduled = true;
        later(delayMicros, this::runLoop);
    }

    private void runLoop() {
        runScheduled = false;
        if (!body.running()) {
            return;
        }
        List<LoopEvent> batch = new ArrayList<>(queued);
        queued.clear();
        try {
            body.runBatch(batch);
        } catch (RuntimeException | AssertionError e) {
            body.loopFailed(e);
            body.loopEnded();
            throw new SimulationFailure(node.id + ": raft loop failed: " + e, e);
        }
        if (!body.running()) {
            body.loopEnded();
            return;
        }
        if (node.runtime == this) {
            // The invariants read the node's current process; an older one replaced by a twin is
            // checked only through what it does to others.
            cluster.afterLoop(node);
        }
        long wake = body.nextWakeNanos();
        if (wake < wakeScheduledAt || wakeScheduledAt <= nanoTime()) {
            wakeScheduledAt = wake;
            later(microsUntil(wake), () -> {
                wakeScheduledAt = Long.MAX_VALUE;
                scheduleRun(0);
            });
        }
    }

    // ---------------------------------------------------------------- executors and timers

    @Override
    public Executor serialExecutor(String name) {
        // One task at a time, in order, each after a short random delay.
        ArrayDeque<Runnable> tasks = new ArrayDeque<>();
        boolean[] busy = new boolean[1];
        return new Executor() {
            @Override
            public void execute(Runnable task) {
                if (!alive) {
                    return;
                }
                tasks.add(task);
                next();
            }

            private void next() {
                if (busy[0] || tasks.isEmpty()) {
                    return;
                }
                busy[0] = true;
                later(cluster.taskLatency(), () -> {
                    busy[0] = false;
                    tasks.poll().run();
                    next();
                });
            }
        };
    }

    @Override
    public Executor ioExecutor(String name) {
        return task -> {
            if (alive) {
                later(cluster.ioLatency(node), task);
            }
        };
    }

    @Override
    public Runnable schedule(Runnable task, long delayNanos) {
        boolean[] cancelled = new boolean[1];
        later((long) (delayNanos / 1000.0 / rate), () -> {
            if (!cancelled[0]) {
                task.run();
            }
        });
        return () -> cancelled[0] = true;
    }

    @Override
    public LogWriter logWriter(RaftStorage storage, String name, Runnable written) {
        logWriter = new SimLogWriter(storage, written);
        return logWriter;
    }

    @Override
    public void shutdown() {
        alive = false;
    }

    /**
     * The simulated disk under the leader's log writer: jobs complete one at a time, in order,
     * each after a random delay (mostly short, sometimes a slow fsync), so followers often
     * acknowledge entries before the leader has them durably. {@link #awaitIdle()} (the loop
     * waiting for the writer) completes everything queued at once.
     */
    private final class SimLogWriter implements LogWriter {

        private record Job(long seq, Ready ready, boolean compaction) {
        }

        private final RaftStorage storage;
        private final Runnable written;
        private final ArrayDeque<Job> jobs = new ArrayDeque<>();
        private final ConcurrentLinkedQueue<Completed> completed = new ConcurrentLinkedQueue<>();
        private long nextSeq;
        private long busyUntil;
        private boolean failed;

        SimLogWriter(RaftStorage storage, Runnable written) {
            this.storage = storage;
            this.written = written;
        }

        int queued() {
            return jobs.size();
        }

        @Override
        public void submit(Ready ready) {
            enqueue(new Job(nextSeq++, ready, false));
        }

        @Override
        public void submitCompaction(Ready ready) {
            enqueue(new Job(nextSeq++, ready, true));
        }

        private void enqueue(Job job) {
            jobs.add(job);
            long now = cluster.now();
            long done = Math.max(now, busyUntil) + cluster.diskLatency();
            busyUntil = done;
            later(done - now, () -> {
                if (!jobs.isEmpty() && jobs.peek().seq() == job.seq()) {
                    complete(jobs.poll());
                    written.run();
                }
            });
            cluster.maybeCrashDuringWrite(node, done - now);
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
                if (failure != null) {
                    failed = true;
                }
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

        /** A crash: the first {@code durable} queued jobs reached the disk, the rest are lost. */
        void crash(int durable) {
            for (int i = 0; i < durable && !jobs.isEmpty(); i++) {
                complete(jobs.poll());
            }
            jobs.clear();
        }
    }
}
