package dev.skiff.raft;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The production {@link NodeRuntime}: a platform thread for the loop, one for the FSM, one for
 * timers, virtual threads for I/O, and {@link System#nanoTime()}. One instance per node.
 */
final class ThreadedRuntime implements NodeRuntime {

    /** Most queued events the loop takes before carrying out a Ready: bounds the latency of one batch. */
    private static final int MAX_DRAIN = 4096;

    private final String nodeId;
    private final List<ExecutorService> executors = new ArrayList<>();
    private final ScheduledThreadPoolExecutor timer;
    private LogWriterThread logWriter;

    ThreadedRuntime(String nodeId) {
        this.nodeId = nodeId;
        this.timer = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().name("raft-timer-" + nodeId).daemon().factory());
        // A cancelled timeout leaves the queue at once: under load, most writes cancel theirs.
        timer.setRemoveOnCancelPolicy(true);
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public EventSink startLoop(String name, LoopBody body) {
        LinkedBlockingQueue<LoopEvent> queue = new LinkedBlockingQueue<>();
        Thread thread = Thread.ofPlatform().name(name + "-" + nodeId).daemon().unstarted(() -> {
            List<LoopEvent> batch = new ArrayList<>(256);
            try {
                while (body.running()) {
                    long waitNanos = Math.max(0, body.nextWakeNanos() - System.nanoTime());
                    LoopEvent first = queue.poll(waitNanos, TimeUnit.NANOSECONDS);
                    if (first != null) {
                        batch.add(first);
                        queue.drainTo(batch, MAX_DRAIN);
                    }
                    body.runBatch(batch);
                    batch.clear();
                }
            } catch (Throwable t) {
                body.loopFailed(t);
            } finally {
                body.loopEnded();
            }
        });
        thread.start();
        return queue::add;
    }

    @Override
    public synchronized ExecutorService serialExecutor(String name) {
        ExecutorService e = Executors.newSingleThreadExecutor(Thread.ofPlatform().name(name + "-" + nodeId).daemon().factory());
        executors.add(e);
        return e;
    }

    @Override
    public synchronized ExecutorService ioExecutor(String name) {
        ExecutorService e = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name(name + "-" + nodeId + "-", 0).factory());
        executors.add(e);
        return e;
    }

    @Override
    public Runnable schedule(Runnable task, long delayNanos) {
        ScheduledFuture<?> f = timer.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        return () -> f.cancel(false);
    }

    @Override
    public synchronized LogWriter logWriter(RaftStorage storage, String name, Runnable written) {
        logWriter = new LogWriterThread(storage, name + "-" + nodeId, written);
        return logWriter;
    }

    @Override
    public synchronized void shutdown() {
        if (logWriter != null) {
            logWriter.close();
        }
        executors.forEach(ExecutorService::shutdown);
        timer.shutdownNow();
    }
}
