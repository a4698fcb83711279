package dev.skiff.raft;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes snapshots of the state machine: the FSM thread captures a view, an I/O thread writes it
 * to the snapshot store while applies continue, and the loop hears of it
 * ({@link LoopEvent.SnapshotTaken}) so the core can compact the log. One snapshot at a time.
 *
 * <p>A periodic snapshot starts when, since the last one, at least {@code threshold} entries were
 * applied, and, if the last snapshot had at least {@code proportionalAbove} bytes, the entries
 * applied hold at least as many bytes as it did. The second condition keeps the cost of
 * snapshots in proportion to the writes: a snapshot writes the whole state, so with a large
 * state and a count alone, a node would write its state again every few seconds under load
 * (hundreds of megabytes each time, competing with the log for the disk and with requests for
 * the CPU), many times the bytes the writes themselves put in the log. With it, snapshots of a
 * large state never write more than the log does, and what a restart replays on top of the
 * snapshot is at most about one snapshot's worth of log (what Redis's AOF rewrite does at 100 %).
 * A small state is cheap to write, and keeps the count alone (hashicorp/raft's rule).
 */
final class Snapshotter {

    private static final Logger log = LoggerFactory.getLogger(Snapshotter.class);

    private final String id;
    private final long threshold;
    private final long proportionalAbove;
    private final RaftStorage storage;
    private final FsmRunner fsm;
    private final Executor io;
    private final Consumer<LoopEvent> loop;
    private final Consumer<Observation> observers;
    private final LongSupplier clock;
    /** The snapshot being taken, or null. Cleared before it completes, so that what waits for it can start the next. */
    private final AtomicReference<CompletableFuture<SnapshotHandle>> running = new AtomicReference<>();
    private final AtomicBoolean failing = new AtomicBoolean();
    private final AtomicLong lastIndex = new AtomicLong();
    /** {@link FsmRunner#appliedBytes()} at the last snapshot. */
    private final AtomicLong appliedBytesAtLast = new AtomicLong();
    /** Size of the last snapshot, taken or installed (0: none, or its size is unknown). */
    private final AtomicLong lastSize = new AtomicLong();

    Snapshotter(String id, long threshold, long proportionalAbove, RaftStorage storage, FsmRunner fsm, Executor io,
                Consumer<LoopEvent> loop, Consumer<Observation> observers, LongSupplier clock, SnapshotMeta start) {
        this.id = id;
        this.threshold = threshold;
        this.proportionalAbove = proportionalAbove;
        this.storage = storage;
        this.fsm = fsm;
        this.io = io;
        this.loop = loop;
        this.observers = observers;
        this.clock = clock;
        if (start != null) {
            lastIndex.set(start.index());
            lastSize.set(Math.max(0, start.size()));
        }
    }

    /** Takes a snapshot if enough was applied since the last (see the class comment) and none is being taken. */
    void maybeSnapshot() {
        // A slow upload (S3 retrying through an outage) outlasts many intervals: no pile-up, no log spam.
        long last = lastSize.get();
        if (running.get() != null || fsm.appliedIndex() - lastIndex.get() < threshold
                || (last >= proportionalAbove && fsm.appliedBytes() - appliedBytesAtLast.get() < last)) {
            return;
        }
        CompletableFuture<SnapshotHandle> started = start();
        if (started != null) {
            started.whenComplete((h, err) -> {
                Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                if (cause != null && !(cause instanceof RaftShutdownException)) {
                    log.warn("periodic snapshot failed id={}: {}", id, cause.toString());
                }
            });
        }
    }

    /**
     * Takes a snapshot now. If one is being taken (a periodic one, or another request's), this
     * one starts when it is done: the snapshot returned covers everything applied when this was
     * called, which the one in progress may not.
     */
    CompletableFuture<SnapshotHandle> snapshot() {
        while (true) {
            CompletableFuture<SnapshotHandle> started = start();
            if (started != null) {
                return started;
            }
            CompletableFuture<SnapshotHandle> busy = running.get();
            if (busy != null) {
                return busy.handle((h, err) -> null).thenCompose(done -> snapshot());
            }
        }
    }

    /** Starts a snapshot, or returns null if one is being taken. */
    private CompletableFuture<SnapshotHandle> start() {
        CompletableFuture<SnapshotHandle> result = new CompletableFuture<>();
        if (!running.compareAndSet(null, result)) {
            return null;
        }
        fsm.capture(c -> io.execute(() -> persist(c, result)), e -> {
            running.set(null);
            result.completeExceptionally(e);
        });
        return result;
    }

    /** {@code meta} was installed from the leader or restored: periodic snapshots count from it. */
    void installed(SnapshotMeta meta) {
        recordLast(meta, fsm.appliedBytes());
    }

    /** Periodic snapshots count from {@code meta} (at {@code appliedBytes}) unless a later one is already recorded. */
    private void recordLast(SnapshotMeta meta, long appliedBytes) {
        if (lastIndex.getAndAccumulate(meta.index(), Math::max) < meta.index()) {
            appliedBytesAtLast.set(appliedBytes);
            lastSize.set(Math.max(0, meta.size()));
        }
    }

    private void persist(FsmRunner.Capture c, CompletableFuture<SnapshotHandle> result) {
        long started = clock.getAsLong();
        SnapshotSink sink = null;
        SnapshotHandle handle = null;
        Throwable failure = null;
        try {
            sink = storage.snapshots().create(c.index(), c.term(), c.configuration(), c.configurationIndex());
            c.view().persist(sink.out());
            SnapshotMeta meta = sink.commit();
            sink = null;
            recordLast(meta, c.appliedBytes());
            log.info("snapshot taken id={} index={} term={} bytes={} millis={}", meta.id(), c.index(), c.term(), meta.size(),
                    (clock.getAsLong() - started) / 1_000_000);
            loop.accept(new LoopEvent.SnapshotTaken(meta));
            if (failing.compareAndSet(true, false)) {
                observers.accept(new Observation.StorageHealth("snapshots", Optional.empty()));
            }
            handle = new SnapshotHandle(meta, storage.snapshots());
        } catch (IOException | RuntimeException e) {
            if (sink != null) {
                sink.cancel();
            }
            if (failing.compareAndSet(false, true)) {
                observers.accept(new Observation.StorageHealth("snapshots", Optional.of(e.toString())));
            }
            failure = e;
        } finally {
            c.view().release();
            running.set(null);
        }
        // Completed only now that the next snapshot can start: a request waiting for this one starts it.
        if (failure == null) {
            result.complete(handle);
        } else {
            result.completeExceptionally(failure);
        }
    }
}
