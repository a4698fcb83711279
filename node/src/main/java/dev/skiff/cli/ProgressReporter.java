package dev.skiff.cli;

import dev.skiff.client.TransferProgress;
import java.util.Locale;

/**
 * Prints a transfer's progress on stderr: nothing for transfers that end within a second, then
 * one line a second ({@code snapshot save: 12.0 of 40.0 MiB (30%)}) and a last one at the end.
 */
final class ProgressReporter implements TransferProgress, AutoCloseable {

    private static final long FIRST_NANOS = 1_000_000_000L;
    private static final long EVERY_NANOS = 1_000_000_000L;

    private final String what;
    private final boolean quiet;
    private final long started = System.nanoTime();
    private long nextAt = started + FIRST_NANOS;
    private boolean printed;
    private long done;
    private long total = -1;

    ProgressReporter(String what, boolean quiet) {
        this.what = what;
        this.quiet = quiet;
    }

    @Override
    public void update(long bytesDone, long bytesTotal) {
        done = bytesDone;
        total = bytesTotal;
        long now = System.nanoTime();
        if (!quiet && now >= nextAt) {
            nextAt = now + EVERY_NANOS;
            print();
        }
    }

    /** The transfer completed: a final line if any was printed. */
    void done() {
        if (printed && !quiet) {
            print();
        }
    }

    private void print() {
        printed = true;
        double seconds = (System.nanoTime() - started) / 1e9;
        String line = total > 0
                ? String.format(Locale.ROOT, "%s: %.1f of %.1f MiB (%d%%), %.0f s", what, mib(done), mib(total), done * 100 / total, seconds)
                : String.format(Locale.ROOT, "%s: %.1f MiB, %.0f s", what, mib(done), seconds);
        System.err.println(line);
    }

    private static double mib(long bytes) {
        return bytes / 1048576.0;
    }

    @Override
    public void close() {
        System.err.flush();
    }
}
