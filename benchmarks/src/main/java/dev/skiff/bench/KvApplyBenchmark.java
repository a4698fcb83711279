package dev.skiff.bench;

import dev.skiff.kv.KvCommand;
import dev.skiff.kv.KvCommandCodec;
import dev.skiff.kv.KvStateMachine;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
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
 * {@link KvStateMachine#applyBatch} of {@code batchSize} committed puts (100-byte values, as in
 * bench/compare.sh) into a store that already holds {@code keys} keys: each batch overwrites
 * keys chosen by a stride, so the store's size stays put and the measurement does not drift.
 * The score is batches per second; the {@code entries} counter is entries per second. Entry
 * decoding ({@link KvCommandCodec#decode}) is part of the measured work, as in a node.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgs = {"-Xmx1g"})
@State(Scope.Thread)
public class KvApplyBenchmark {

    /** Entries applied, reported by JMH as a rate next to the batch rate. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long entries;

        @Setup(Level.Iteration)
        public void reset() {
            entries = 0;
        }
    }

    @Param({"1", "64", "256"})
    public int batchSize;

    @Param({"100000"})
    public int keys;

    private KvStateMachine fsm;
    private long nextIndex;
    /** Pre-encoded commands, one per key: the batch only picks and wraps them. */
    private byte[][] commands;
    private int cursor;

    @Setup
    public void setUp() {
        fsm = new KvStateMachine();
        commands = new byte[keys][];
        byte[] value = new byte[100];
        for (int i = 0; i < keys; i++) {
            commands[i] = KvCommandCodec.encode(KvCommand.Put.of(String.format("bench/key/%08d", i), value));
        }
        nextIndex = 1;
        List<LogEntry> batch = new ArrayList<>(1000);
        for (int i = 0; i < keys; i++) {
            batch.add(new LogEntry(nextIndex++, 1, LogType.COMMAND, commands[i]));
            if (batch.size() == 1000) {
                fsm.applyBatch(batch);
                batch.clear();
            }
        }
        fsm.applyBatch(batch);
    }

    @Benchmark
    public List<Object> applyBatch(Counters counters) {
        List<LogEntry> batch = new ArrayList<>(batchSize);
        for (int i = 0; i < batchSize; i++) {
            // A stride co-prime with the key count visits every key, spread over the tree.
            cursor = (cursor + 7_919) % keys;
            batch.add(new LogEntry(nextIndex++, 1, LogType.COMMAND, commands[cursor]));
        }
        counters.entries += batchSize;
        return fsm.applyBatch(batch);
    }
}
