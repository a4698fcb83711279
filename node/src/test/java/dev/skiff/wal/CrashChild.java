package dev.skiff.wal;

import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The process {@link SegmentedLogStoreCrashTest} kills: appends batches to the log forever and
 * prints "ack &lt;lastIndex&gt;" after each batch is durable (storeLogs returned). Sometimes
 * truncates a suffix first, announcing it before ("truncating k") and after ("truncated k").
 * After {@code bigAfter} acknowledged batches it writes one big batch (about 1.5 MiB in one
 * system call) and prints "writing" just before the system call, so that the parent can aim a
 * kill into the write and leave a torn tail.
 *
 * <p>Arguments: data directory, seed, term to write with, bigAfter (-1: never).
 */
public final class CrashChild {

    static final SegmentedLogStore.Options OPTIONS = SegmentedLogStore.Options.DEFAULTS
            .withMaxSegmentBytes(32 << 10).withCache(256, 64 << 10);

    /** Writes above this size are announced; only the big batch is that large. */
    private static final int BIG_WRITE_BYTES = 1 << 20;

    private CrashChild() {
    }

    /** The payload every writer and checker agrees on for (index, term). */
    static LogEntry entry(long index, long term) {
        SplittableRandom r = new SplittableRandom(index * 1_000_003L + term);
        byte[] data = new byte[r.nextInt(10) == 0 ? r.nextInt(4096) : r.nextInt(200)];
        r.nextBytes(data);
        return new LogEntry(index, term, LogType.COMMAND, data);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        SplittableRandom random = new SplittableRandom(Long.parseLong(args[1]));
        long term = Long.parseLong(args[2]);
        int bigAfter = Integer.parseInt(args[3]);
        int acked = 0;
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false);
        ChannelFactory announcing = new DiskFullChannels(Long.MAX_VALUE / 4, bytes -> {
            if (bytes > BIG_WRITE_BYTES) {
                out.println("writing");
                out.flush();
            }
        });
        try (SegmentedLogStore log = SegmentedLogStore.open(dir, OPTIONS.withChannels(announcing))) {
            long last = log.lastIndex();
            if (last > 10 && random.nextInt(4) == 0) {
                long keep = last - 1 - random.nextInt(8);
                out.println("truncating " + keep);
                out.flush();
                log.truncateSuffix(keep);
                out.println("truncated " + keep);
                out.flush();
                last = keep;
            }
            List<LogEntry> batch = new ArrayList<>();
            while (true) {
                boolean big = acked == bigAfter;
                int n = big ? 8000 : random.nextInt(3) == 0 ? 1 : 1 + random.nextInt(64);
                batch.clear();
                for (int i = 1; i <= n; i++) {
                    batch.add(entry(last + i, term));
                }
                log.storeLogs(batch);
                last += n;
                acked++;
                out.println("ack " + last);
                out.flush();
            }
        }
    }
}
