package dev.skiff.bench;

import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import dev.skiff.wal.SegmentedLogStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The ratio of the WAL's batch-of-one append rate to two raw fsync loops on the same disk,
 * measured in alternating quarter-second windows: appending a record-sized block and forcing it
 * (the file grows at every sync), and rewriting one block in place and forcing it (no file
 * growth: the disk's best sync rate, and the true floor). On a disk shared with other work the fsync
 * rate drifts by several times within a minute, which swamps JMH's separate, consecutive runs;
 * alternating windows compare the two under the same conditions. Prints each pair and the median
 * ratio.
 *
 * <p>With a batch size above one, the WAL side appends batches (one fsync each), the ratios
 * compare batches/s with syncs/s, and the median entries/s is printed too.
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.skiff.bench.WalFsyncRatio [rounds] [payloadBytes] [batchSize]}.
 */
public final class WalFsyncRatio {

    private static final long WINDOW_NANOS = 250_000_000L;

    private WalFsyncRatio() {
    }

    public static void main(String[] args) throws IOException {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        int payloadBytes = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int batchSize = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        Path dir = Files.createTempDirectory(WalAppendBenchmark.benchDir(), "wal-ratio-");
        try (SegmentedLogStore log = SegmentedLogStore.open(dir.resolve("wal"));
             FileChannel raw = FileChannel.open(dir.resolve("raw"), StandardOpenOption.CREATE_NEW,
                     StandardOpenOption.READ, StandardOpenOption.WRITE);
             FileChannel overwrite = FileChannel.open(dir.resolve("overwrite"), StandardOpenOption.CREATE_NEW,
                     StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            overwrite.write(ByteBuffer.allocate(4096), 0);
            overwrite.force(true);
            ByteBuffer record = ByteBuffer.allocateDirect(25 + payloadBytes);
            byte[] payload = new byte[payloadBytes];
            List<LogEntry> batch = new ArrayList<>(batchSize);
            double[] entryRates = new double[rounds];
            long position = 0;
            long next = 1;
            double[] ratios = new double[rounds];
            double[] overwriteRatios = new double[rounds];
            for (int round = -1; round < rounds; round++) {
                long t0 = System.nanoTime();
                long rawOps = 0;
                while (System.nanoTime() - t0 < WINDOW_NANOS) {
                    record.clear();
                    while (record.hasRemaining()) {
                        position += raw.write(record, position);
                    }
                    raw.force(false);
                    rawOps++;
                }
                double rawRate = rawOps / ((System.nanoTime() - t0) / 1e9);
                t0 = System.nanoTime();
                long overwriteOps = 0;
                while (System.nanoTime() - t0 < WINDOW_NANOS) {
                    record.clear();
                    long p = 0;
                    while (record.hasRemaining()) {
                        p += overwrite.write(record, p);
                    }
                    overwrite.force(false);
                    overwriteOps++;
                }
                double overwriteRate = overwriteOps / ((System.nanoTime() - t0) / 1e9);
                t0 = System.nanoTime();
                long walOps = 0;
                while (System.nanoTime() - t0 < WINDOW_NANOS) {
                    batch.clear();
                    for (int i = 0; i < batchSize; i++) {
                        batch.add(new LogEntry(next++, 1, LogType.COMMAND, payload));
                    }
                    log.storeLogs(batch);
                    walOps++;
                }
                double walRate = walOps / ((System.nanoTime() - t0) / 1e9);
                if (round >= 0) {
                    // round -1 warms up the JIT and the files
                    ratios[round] = walRate / rawRate;
                    entryRates[round] = walRate * batchSize;
                    overwriteRatios[round] = walRate / overwriteRate;
                    System.out.printf("round %2d: raw append+fsync %6.0f/s  raw overwrite+fsync %6.0f/s  WAL batch %d %6.0f/s"
                            + "  ratios %.2f %.2f%n", round + 1, rawRate, overwriteRate, batchSize, walRate, ratios[round],
                            overwriteRatios[round]);
                }
            }
            Arrays.sort(ratios);
            Arrays.sort(overwriteRatios);
            Arrays.sort(entryRates);
            System.out.printf("median over %d rounds (%d-byte entries, batch %d): WAL batches / raw append+fsync %.2f,"
                    + " WAL batches / raw overwrite+fsync %.2f, WAL %.0f entries/s%n", rounds, payloadBytes, batchSize,
                    ratios[rounds / 2], overwriteRatios[rounds / 2], entryRates[rounds / 2]);
        } finally {
            WalAppendBenchmark.deleteTree(dir);
        }
    }
}
