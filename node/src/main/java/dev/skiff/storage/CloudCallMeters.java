package dev.skiff.storage;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Latency and errors of the calls a storage back-end makes to a remote service (S3,
 * DynamoDB), in the node's registry: {@code skiff_cloud_call_seconds{service,operation,outcome}}
 * (one timing per API call, retries included) and
 * {@code skiff_cloud_call_errors_total{service,operation,error}}. Free of any SDK, so that each
 * storage module adapts its SDK's hooks to it (an AWS SDK {@code ExecutionInterceptor}) and the
 * metric names stay the same for every back-end. Thread-safe.
 */
public final class CloudCallMeters {

    /**
     * Histogram buckets: a dozen instead of the ~70 of a percentile histogram, since every
     * (service, operation, outcome) has its own series and remote calls span 1 ms to 30 s.
     */
    private static final Duration[] BUCKETS = {
        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
        Duration.ofSeconds(10), Duration.ofSeconds(30)};

    private final MeterRegistry registry;

    /** Records into {@code registry} (usually {@link StorageContext#meters()}). */
    public CloudCallMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * One call ended.
     *
     * @param service   the remote service, e.g. {@code "S3"} or {@code "DynamoDB"}
     * @param operation the API operation, e.g. {@code "PutObject"}
     * @param nanos     how long it took, retries included
     * @param error     empty if it succeeded, else a short kind of failure (an exception's
     *                  simple class name or an error code): a small set, since it is a label
     */
    public void finished(String service, String operation, long nanos, String error) {
        boolean failed = !error.isEmpty();
        Timer.builder("skiff_cloud_call")
                .description("latency of calls to cloud storage services (S3, DynamoDB), retries included")
                .tag("service", service).tag("operation", operation).tag("outcome", failed ? "error" : "ok")
                .serviceLevelObjectives(BUCKETS)
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
        if (failed) {
            Counter.builder("skiff_cloud_call_errors")
                    .description("calls to cloud storage services that failed after their retries, by kind of error")
                    .tag("service", service).tag("operation", operation).tag("error", error)
                    .register(registry).increment();
        }
    }
}
