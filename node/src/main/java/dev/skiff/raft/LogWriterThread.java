package dev.skiff.raft;

import dev.skiff.raft.core.Ready;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The production {@link LogWriter}: persists the entries of Readies on a thread of its
 * own, in the order they were submitted, so that the loop keeps sending, receiving and
 * committing while the disk works, and proposals that arrive meanwhile go into the next write.
 *
 * <p>Readies queued behind each other while a write is in progress are written together, with
 * one fsync (group commit). Each submitted Ready comes back through {@link #takeCompleted()}
 * with the outcome of its write, in submission order; the loop then calls {@code core.advance} for it (only then does
 * the leader count its own log toward the quorum). Compactions go through the writer too,
 * because the log store accepts writes from one thread at a time.
 *
 * <p>After a failed write, later writes are not attempted (they would leave a gap) and come
 * back as {@link Completed#skipped()}; the loop persists them again itself, in order, once the
 * store works. {@link #awaitIdle()} lets the loop write on its own thread without racing this
 * one.
 *
 * <p>Thread-safe: {@link #submit}, {@link #submitCompaction}, {@link #awaitIdle} and
 * {@link #takeCompleted} are called by the loop; the writer thread does the rest.
 */
final class LogWriterThread implements LogWriter {

    private static final Logger log = LoggerFactory.getLogger(LogWriterThread.class);
    /** Most entry bytes merged into one write: far below the store's limit, and one fsync of it stays short. */
    static final long MAX_BATCH_BYTES = 16L << 20;

    private final RaftStorage storage;
    private final Runnable wakeLoop;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Completed> completed = new ConcurrentLinkedQueue<>();

    // Guarded by this.
    private final ArrayDeque<Object> jobs = new ArrayDeque<>();
    private int unfinished;
    private boolean failed;
    private boolean closed;

    /**
     * @param wakeLoop called on the writer thread after each completion, so the loop collects it
     */
    LogWriterThread(RaftStorage storage, String name, Runnable wakeLoop) {
        this.storage = storage;
        this.wakeLoop = wakeLoop;
        this.thread = Thread.ofPlatform().name(name).daemon().unstarted(this::run);
        thread.start();
    }

    /** Queues the persistence of {@code ready} (its entries; it carries no hard state or reset). */
    @Override
    public synchronized void submit(Ready ready) {
        jobs.add(ready);
        unfinished++;
        notifyAll();
    }

    /** Queues the compaction of {@code ready} after every write submitted before. */
    @Override
    public synchronized void submitCompaction(Ready ready) {
        jobs.add(new Compaction(ready));
        unfinished++;
        notifyAll();
    }

    /** True if nothing is queued or being written. */
    @Override
    public synchronized boolean idle() {
        return unfinished == 0;
    }

    /** Waits until every submitted job is done. */
    @Override
    public synchronized void awaitIdle() throws InterruptedException {
        while (unfinished > 0) {
            wait();
        }
    }

    /** The next finished write, in submission order, or null. */
    @Override
    public Completed takeCompleted() {
        return completed.poll();
    }

    /** Lets the loop's own retries succeed the failed writes: later jobs are attempted again. */
    @Override
    public synchronized void resume() {
        failed = false;
    }

    /** Stops the thread after the job in progress; queued jobs are dropped. */
    @Override
    public synchronized void close() {
        closed = true;
        jobs.clear();
        unfinished = 0;
        notifyAll();
    }

    private void run() {
        List<Ready> batch = new ArrayList<>();
        while (true) {
            Object job;
            boolean skip;
            synchronized (this) {
                while (jobs.isEmpty() && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
                job = jobs.poll();
                skip = failed;
                if (job instanceof Ready first) {
                    // Group commit: every write queued behind this one that continues it goes
                    // into the same write and fsync, so the disk keeps up however fast the loop
                    // hands out Readies.
                    batch.add(first);
                    long next = last(first) + 1;
                    long bytes = bytes(first);
                    while (jobs.peek() instanceof Ready r && r.entries().getFirst().index() == next
                            && bytes + bytes(r) <= MAX_BATCH_BYTES) {
                        jobs.poll();
                        batch.add(r);
                        next = last(r) + 1;
                        bytes += bytes(r);
                    }
                }
            }
            Exception failure = null;
            if (!skip) {
                try {
                    if (job instanceof Compaction c) {
                        storage.compact(c.ready());
                    } else {
                        storage.persist(batch.size() == 1 ? batch.getFirst() : merged(batch));
                    }
                } catch (IOException | RuntimeException e) {
                    failure = e;
                }
            }
            if (failure != null && job instanceof Compaction) {
                log.warn("log compaction failed (will retry at the next snapshot) cause={}", failure.toString());
            }
            synchronized (this) {
                for (Ready r : batch) {
                    completed.add(new Completed(r, failure, skip));
                }
                if (failure != null && !batch.isEmpty()) {
                    failed = true;
                }
                // A failed compaction only leaves more log than needed: nothing to retry.
                if (!closed) {
                    unfinished -= job instanceof Compaction ? 1 : batch.size();
                }
                notifyAll();
            }
            batch.clear();
            wakeLoop.run();
        }
    }

    private static long last(Ready r) {
        return r.entries().getLast().index();
    }

    private static long bytes(Ready r) {
        long n = 0;
        for (LogEntry e : r.entries()) {
            n += e.data().length + 32;
        }
        return n;
    }

    /** One Ready carrying the entries of consecutive leader Readies (which persist nothing else). */
    private static Ready merged(List<Ready> batch) {
        List<LogEntry> entries = new ArrayList<>();
        for (Ready r : batch) {
            entries.addAll(r.entries());
        }
        return new Ready(null, 0, entries, List.of(), null, List.of(), 0, List.of(), null, false, false);
    }

    private record Compaction(Ready ready) {
    }
}
