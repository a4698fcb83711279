package dev.skiff.metrics;

import dev.skiff.raft.Configuration;
import dev.skiff.raft.OpenSnapshot;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.SnapshotSink;
import dev.skiff.raft.SnapshotStore;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link SnapshotStore} that times each snapshot it stores, from {@link #create} to the end
 * of {@link SnapshotSink#commit()} (the state machine streaming its state, and the store
 * writing it: a local file, or an S3 multipart upload): {@code skiff_snapshot_seconds{outcome}},
 * {@code skiff_snapshot_size_bytes} and {@code skiff_snapshot_last_size_bytes}. Everything else
 * is passed through unchanged; closing the delegate stays its owner's job.
 */
public final class MeteredSnapshotStore implements SnapshotStore {

    /** Snapshots take from milliseconds (a small state, a local file) to minutes (GiBs to S3). */
    private static final Duration[] BUCKETS = {
        Duration.ofMillis(10), Duration.ofMillis(100), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(5),
        Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofMinutes(5),
        Duration.ofMinutes(10)};

    private final SnapshotStore delegate;
    private final Timer stored;
    private final Timer failed;
    private final DistributionSummary sizes;
    private final AtomicLong lastSize = new AtomicLong();

    /** Wraps {@code delegate}, registering its meters in {@code registry}. */
    public MeteredSnapshotStore(SnapshotStore delegate, MeterRegistry registry) {
        this.delegate = delegate;
        this.stored = timer(registry, "ok");
        this.failed = timer(registry, "error");
        this.sizes = DistributionSummary.builder("skiff_snapshot_size").baseUnit("bytes")
                .description("size of each snapshot stored, in bytes")
                .register(registry);
        Gauge.builder("skiff_snapshot_last_size", lastSize, AtomicLong::get).baseUnit("bytes")
                .description("size of the latest snapshot this node stored, in bytes (0 before the first)")
                .register(registry);
    }

    private static Timer timer(MeterRegistry registry, String outcome) {
        return Timer.builder("skiff_snapshot")
                .description("time to take and store one snapshot: stream the state and commit it to the snapshot store")
                .tag("outcome", outcome)
                .serviceLevelObjectives(BUCKETS)
                .register(registry);
    }

    @Override
    public SnapshotSink create(long index, long term, Configuration configuration, long configurationIndex)
            throws IOException {
        long started = System.nanoTime();
        try {
            return new TimedSink(delegate.create(index, term, configuration, configurationIndex), started);
        } catch (IOException | RuntimeException e) {
            failed.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            throw e;
        }
    }

    @Override
    public List<SnapshotMeta> list() throws IOException {
        return delegate.list();
    }

    @Override
    public OpenSnapshot open(String id) throws IOException {
        return delegate.open(id);
    }

    @Override
    public void delete(String id) throws IOException {
        delegate.delete(id);
    }

    @Override
    public boolean sharedByCluster() {
        return delegate.sharedByCluster();
    }

    /** The delegate's sink, timed from its creation to its commit or cancel. */
    private final class TimedSink implements SnapshotSink {
        private final SnapshotSink sink;
        private final long started;
        /** Set once timed, so that a cancel after a failed commit is not counted twice. */
        private boolean timed;

        TimedSink(SnapshotSink sink, long started) {
            this.sink = sink;
            this.started = started;
        }

        @Override
        public String id() {
            return sink.id();
        }

        @Override
        public OutputStream out() {
            return sink.out();
        }

        @Override
        public SnapshotMeta commit() throws IOException {
            SnapshotMeta meta;
            try {
                meta = sink.commit();
            } catch (IOException | RuntimeException e) {
                finish(failed);
                throw e;
            }
            finish(stored);
            if (meta.size() >= 0) {
                sizes.record(meta.size());
                lastSize.set(meta.size());
            }
            return meta;
        }

        @Override
        public void cancel() {
            finish(failed);
            sink.cancel();
        }

        private void finish(Timer outcome) {
            if (!timed) {
                timed = true;
                outcome.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            }
        }
    }
}
