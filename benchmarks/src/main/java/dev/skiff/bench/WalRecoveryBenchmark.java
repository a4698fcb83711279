package dev.skiff.bench;

import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import dev.skiff.wal.SegmentedLogStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Time to open (recover) a large log: every record of every segment is read and its checksum
 * verified, and the offset index rebuilt. Writes the log once (default 1 GiB of 100-byte
 * entries, the worst case: the most records per byte), then opens it several times and prints
 * each time and the best.
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.skiff.bench.WalRecoveryBenchmark [gib] [payloadBytes]}.
 * The first open after writing reads from the page cache; to measure a cold open, drop the
 * caches between runs ({@code echo 3 > /proc/sys/vm/drop_caches}).
 */
public final class WalRecoveryBenchmark {

    private WalRecoveryBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        double gib = args.length > 0 ? Double.parseDouble(args[0]) : 1.0;
        int payloadBytes = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        long target = (long) (gib * (1L << 30));
        Path dir = Files.createTempDirectory(WalAppendBenchmark.benchDir(), "wal-recovery-");
        try {
            byte[] payload = new byte[payloadBytes];
            long written = 0;
            long entries = 0;
            long start = System.nanoTime();
            try (SegmentedLogStore log = SegmentedLogStore.open(dir)) {
                List<LogEntry> batch = new ArrayList<>();
                while (written < target) {
                    batch.clear();
                    for (int i = 0; i < 4096; i++) {
                        batch.add(new LogEntry(++entries, 1, LogType.COMMAND, payload));
                        written += 25 + payloadBytes;
                    }
                    log.storeLogs(batch);
                }
            }
            System.out.printf("wrote %,d entries, %,d bytes in %d segments in %.1f s%n", entries, written,
                    Files.list(dir).filter(p -> p.getFileName().toString().startsWith("log_")).count(),
                    (System.nanoTime() - start) / 1e9);
            double best = Double.MAX_VALUE;
            for (int run = 1; run <= 5; run++) {
                long t0 = System.nanoTime();
                try (SegmentedLogStore log = SegmentedLogStore.open(dir)) {
                    double s = (System.nanoTime() - t0) / 1e9;
                    best = Math.min(best, s);
                    if (log.lastIndex() != entries) {
                        throw new IllegalStateException("recovered " + log.lastIndex() + " entries, wrote " + entries);
                    }
                    System.out.printf("open %d: %.3f s (%,d entries, %.0f MB/s)%n", run, s, entries, written / s / 1e6);
                }
            }
            System.out.printf("recovery of %.2f GiB (%d-byte entries): best %.3f s%n", gib, payloadBytes, best);
        } finally {
            WalAppendBenchmark.deleteTree(dir);
        }
    }
}
