package dev.skiff.metrics;

import dev.skiff.wal.AppendTimings;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * {@code skiff_wal_append_seconds} (a batch's encode, write and fsync) and
 * {@code skiff_wal_fsync_seconds} (the fsync alone). The timers are registered once, so a
 * record on the WAL's write path is a few atomic adds and no allocation.
 */
public final class WalMeters implements AppendTimings {

    private final Timer append;
    private final Timer fsync;

    /** Registers both timers in {@code registry}. */
    public WalMeters(MeterRegistry registry) {
        append = Timer.builder("skiff_wal_append")
                .description("time to append one batch of entries to the write-ahead log: encode, write and fsync")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(5))
                .register(registry);
        fsync = Timer.builder("skiff_wal_fsync")
                .description("time of the fsync that makes one appended batch of the write-ahead log durable")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(5))
                .register(registry);
    }

    @Override
    public void appended(long appendNanos, long fsyncNanos) {
        append.record(appendNanos, TimeUnit.NANOSECONDS);
        fsync.record(fsyncNanos, TimeUnit.NANOSECONDS);
    }
}
