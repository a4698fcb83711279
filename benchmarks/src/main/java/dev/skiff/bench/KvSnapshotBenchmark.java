package dev.skiff.bench;

import dev.skiff.kv.KvCommand;
import dev.skiff.kv.KvCommandCodec;
import dev.skiff.kv.KvStateMachine;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The KV snapshot format's own speed, without a disk: {@code write} streams a state of
 * {@code keys} keys × 100-byte values (through {@link KvStateMachine#snapshot} and
 * {@code persist}, so the checksummed block codec is included) into a sink that discards it;
 * {@code read} restores it from a byte array ({@link KvStateMachine#restore}: decode, check,
 * build the tree). Scores are whole snapshots per second; the {@code keysDone} and
 * {@code bytesDone} counters are keys and snapshot bytes per second. The 1M-key run with a real
 * file, apply stalls and heap is {@link SnapshotRestoreMain}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgs = {"-Xmx2g"})
@State(Scope.Benchmark)
public class KvSnapshotBenchmark {

    /** Keys and bytes per second, next to snapshots per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long keysDone;
        public long bytesDone;

        @Setup(Level.Iteration)
        public void reset() {
            keysDone = 0;
            bytesDone = 0;
        }
    }

    @Param({"100000"})
    public int keys;

    private KvStateMachine fsm;
    private byte[] encoded;

    @Setup
    public void setUp() throws IOException {
        fsm = fill(keys);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        fsm.snapshot().persist(out);
        encoded = out.toByteArray();
    }

    /** A state machine holding {@code keys} keys {@code bench/key/%08d} with 100-byte values. */
    static KvStateMachine fill(int keys) {
        KvStateMachine fsm = new KvStateMachine();
        byte[] value = new byte[100];
        List<LogEntry> batch = new ArrayList<>(1000);
        long index = 1;
        for (int i = 0; i < keys; i++) {
            batch.add(new LogEntry(index++, 1, LogType.COMMAND,
                    KvCommandCodec.encode(KvCommand.Put.of(String.format("bench/key/%08d", i), value))));
            if (batch.size() == 1000) {
                fsm.applyBatch(batch);
                batch.clear();
            }
        }
        fsm.applyBatch(batch);
        return fsm;
    }

    @Benchmark
    public long write(Counters counters) throws IOException {
        CountingSink sink = new CountingSink();
        fsm.snapshot().persist(sink);
        counters.keysDone += keys;
        counters.bytesDone += sink.count;
        return sink.count;
    }

    @Benchmark
    public long read(Counters counters) throws IOException {
        KvStateMachine target = new KvStateMachine();
        target.restore(new ByteArrayInputStream(encoded));
        counters.keysDone += keys;
        counters.bytesDone += encoded.length;
        return target.appliedIndex();
    }

    /** Counts and forgets. */
    private static final class CountingSink extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }
}
