package dev.skiff.wal;

/**
 * Told how long each append to the log took, for metrics. Called on the log's writer thread,
 * inside the write path, once per batch: implementations must be quick, must not block and
 * should not allocate (a pre-registered timer's {@code record(nanos)} is fine).
 */
@FunctionalInterface
public interface AppendTimings {

    /** Records nothing: the default. */
    AppendTimings NONE = (appendNanos, fsyncNanos) -> { };

    /**
     * One batch reached the disk.
     *
     * @param appendNanos the whole append: encoding, the write and the fsync
     * @param fsyncNanos  the fsync ({@code force}) alone
     */
    void appended(long appendNanos, long fsyncNanos);
}
