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
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Durable append throughput of {@link SegmentedLogStore}, against the raw fsync rate of the
 * same disk measured in the same run.
 *
 * <p>{@code append}: one {@code storeLogs} of {@code batchSize} entries of {@code payloadBytes}
 * each (one fsync per batch). The {@code entries} and {@code bytes} counters give entries/s and
 * payload bytes/s. {@code rawAppendFsync}: append one record-sized block (125 bytes, what a
 * 100-byte entry takes on disk) to a file and {@code force(false)} it: the physical floor for a
 * batch of one. {@code rawOverwriteFsync}: rewrite the same 4 KiB block and force it (no file
 * growth, so no metadata to sync): the disk's best case.
 *
 * <p>Files go to {@code -Dskiff.bench.dir} (default: the system temp dir); put it on the disk
 * the node will use.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgs = {"-Xmx1g", "-XX:+UseParallelGC"})
public class WalAppendBenchmark {

    /** Entries and payload bytes appended, reported by JMH as rates next to the batch rate. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long entries;
        public long bytes;

        @Setup(Level.Iteration)
        public void clear() {
            entries = 0;
            bytes = 0;
        }
    }

    /** An open log in a fresh directory. */
    @State(Scope.Thread)
    public static class Log {
        @Param({"100", "4096"})
        public int payloadBytes;

        @Param({"1", "16", "256"})
        public int batchSize;

        Path dir;
        SegmentedLogStore store;
        byte[] payload;
        long next = 1;
        final List<LogEntry> batch = new ArrayList<>();

        @Setup(Level.Trial)
        public void open() throws IOException {
            dir = Files.createTempDirectory(benchDir(), "wal-append-");
            store = SegmentedLogStore.open(dir);
            payload = new byte[payloadBytes];
            for (int i = 0; i < payload.length; i++) {
                payload[i] = (byte) (i * 31 + 7);
            }
        }

        /** Drops the closed segments so a run does not fill the disk. */
        @TearDown(Level.Iteration)
        public void compact() throws IOException {
            store.truncatePrefix(store.lastIndex());
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            store.close();
            deleteTree(dir);
        }
    }

    /** A plain file for the raw fsync loops, in the same directory tree. */
    @State(Scope.Thread)
    public static class RawFile {
        Path dir;
        FileChannel channel;
        final ByteBuffer record = ByteBuffer.allocateDirect(125);
        final ByteBuffer block = ByteBuffer.allocateDirect(4096);
        long position;

        @Setup(Level.Trial)
        public void open() throws IOException {
            dir = Files.createTempDirectory(benchDir(), "raw-fsync-");
            channel = FileChannel.open(dir.resolve("raw"), StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            channel.write(block.duplicate(), 0);
            channel.force(true);
            position = 4096;
        }

        @TearDown(Level.Iteration)
        public void restart() throws IOException {
            channel.truncate(4096);
            channel.force(true);
            position = 4096;
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            channel.close();
            deleteTree(dir);
        }
    }

    @Benchmark
    public void append(Log log, Counters counters) throws IOException {
        List<LogEntry> batch = log.batch;
        batch.clear();
        for (int i = 0; i < log.batchSize; i++) {
            batch.add(new LogEntry(log.next++, 1, LogType.COMMAND, log.payload));
        }
        log.store.storeLogs(batch);
        counters.entries += log.batchSize;
        counters.bytes += (long) log.batchSize * log.payloadBytes;
    }

    @Benchmark
    public void rawAppendFsync(RawFile raw) throws IOException {
        ByteBuffer b = raw.record.clear();
        while (b.hasRemaining()) {
            raw.position += raw.channel.write(b, raw.position);
        }
        raw.channel.force(false);
    }

    @Benchmark
    public void rawOverwriteFsync(RawFile raw) throws IOException {
        ByteBuffer b = raw.block.clear();
        long pos = 0;
        while (b.hasRemaining()) {
            pos += raw.channel.write(b, pos);
        }
        raw.channel.force(false);
    }

    static Path benchDir() throws IOException {
        Path base = Path.of(System.getProperty("skiff.bench.dir", System.getProperty("java.io.tmpdir")));
        Files.createDirectories(base);
        return base;
    }

    static void deleteTree(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
