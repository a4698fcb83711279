package dev.skiff.metrics;

import dev.skiff.kv.ApplyTimings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * {@code skiff_kv_apply_seconds}: how long the key-value state machine took to apply each batch
 * of committed entries, and {@code skiff_kv_applied_entries_total}. Unlike
 * {@code skiff_raft_apply_seconds} (a client's wait on the leader, replication included), this
 * is the state machine's own work, on every node.
 */
public final class ApplyMeters implements ApplyTimings {

    private final Timer batches;
    private final Counter entries;

    /** Registers the meters in {@code registry}. */
    public ApplyMeters(MeterRegistry registry) {
        batches = Timer.builder("skiff_kv_apply")
                .description("time the key-value state machine took to apply one batch of committed entries")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(1_000)).maximumExpectedValue(Duration.ofSeconds(1))
                .register(registry);
        entries = Counter.builder("skiff_kv_applied_entries")
                .description("committed entries applied to the key-value state machine")
                .register(registry);
    }

    @Override
    public void applied(int count, long nanos) {
        batches.record(nanos, TimeUnit.NANOSECONDS);
        entries.increment(count);
    }
}
