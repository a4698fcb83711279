package dev.skiff.raft;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes snapshots of the state machine: the FSM thread captures a view, an I/O thread writes it
 * to the snapshot store while applies continue, and the loop hears of it
 * ({@link LoopEvent.SnapshotTaken}) so the core can compact the log. One snapshot at a time;
 * periodic snapshots start when enough entries were applied since the last.
 */
final class Snapshotter {

    private static final Logger log = LoggerFactory.getLogger(Snapshotter.class);

    private final String id;
    private final long threshold;
    private final RaftStorage storage;
    private final FsmRunner fsm;
    private final Executor io;
    private final Consumer<LoopEvent> loop;
    private final Consumer<Observation> observers;
    private final LongSupplier clock;
    private final AtomicBoolean inProgress = new AtomicBoolean();
    private final AtomicBoolean failing = new AtomicBoolean();
    private final AtomicLong lastIndex = new AtomicLong();

    Snapshotter(String id, long threshold, RaftStorage storage, FsmRunner fsm, Executor io, Consumer<LoopEvent> loop,
                Consumer<Observation> observers, LongSupplier clock, long startIndex) {
        this.id = id;
        this.threshold = threshold;
        this.storage = storage;
        this.fsm = fsm;
        this.io = io;
        this.loop = loop;
        this.observers = observers;
        this.clock = clock;
        lastIndex.set(startIndex);
    }

    /** Takes a snapshot if enough entries were applied since the last and none is being taken. */
    void maybeSnapshot() {
        // A slow upload (S3 retrying through an outage) outlasts many intervals: no pile-up, no log spam.
        if (!inProgress.get() && fsm.appliedIndex() - lastIndex.get() >= threshold) {
            snapshot().whenComplete((h, err) -> {
                Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                if (cause != null && !(cause instanceof IllegalStateException) && !(cause instanceof RaftShutdownException)) {
                    log.warn("periodic snapshot failed id={}: {}", id, cause.toString());
                }
            });
        }
    }

    /** Takes a snapshot now. */
    CompletableFuture<SnapshotHandle> snapshot() {
        CompletableFuture<SnapshotHandle> result = new CompletableFuture<>();
        if (!inProgress.compareAndSet(false, true)) {
            result.completeExceptionally(new IllegalStateException("a snapshot is already being taken"));
            return result;
        }
        fsm.capture(c -> io.execute(() -> persist(c, result)), e -> {
            inProgress.set(false);
            result.completeExceptionally(e);
        });
        return result;
    }

    /** A snapshot at {@code index} was installed from the leader or restored: periodic snapshots count from it. */
    void installed(long index) {
        lastIndex.accumulateAndGet(index, Math::max);
    }

    private void persist(FsmRunner.Capture c, CompletableFuture<SnapshotHandle> result) {
        long started = clock.getAsLong();
        SnapshotSink sink = null;
        try {
            sink = storage.snapshots().create(c.index(), c.term(), c.configuration(), c.configurationIndex());
            c.view().persist(sink.out());
            SnapshotMeta meta = sink.commit();
            sink = null;
            lastIndex.accumulateAndGet(c.index(), Math::max);
            log.info("snapshot taken id={} index={} term={} bytes={} millis={}", meta.id(), c.index(), c.term(), meta.size(),
                    (clock.getAsLong() - started) / 1_000_000);
            loop.accept(new LoopEvent.SnapshotTaken(meta));
            if (failing.compareAndSet(true, false)) {
                observers.accept(new Observation.StorageHealth("snapshots", Optional.empty()));
            }
            result.complete(new SnapshotHandle(meta, storage.snapshots()));
        } catch (IOException | RuntimeException e) {
            if (sink != null) {
                sink.cancel();
            }
            if (failing.compareAndSet(false, true)) {
                observers.accept(new Observation.StorageHealth("snapshots", Optional.of(e.toString())));
            }
            result.completeExceptionally(e);
        } finally {
            c.view().release();
            inProgress.set(false);
        }
    }
}
