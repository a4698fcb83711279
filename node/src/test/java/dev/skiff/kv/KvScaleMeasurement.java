package dev.skiff.kv;

import dev.skiff.raft.FsmSnapshot;
import dev.skiff.raft.LogEntry;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/**
 * Measures the KV state machine at scale and prints the numbers; asserts nothing (speed is not
 * a unit-test property). Not run by the test suite. Run it after {@code mvn -pl node
 * test-compile} with:
 * <pre>
 *   java -Xmx2g -cp node/target/classes:node/target/test-classes dev.skiff.kv.KvScaleMeasurement [keys] [valueBytes]
 * </pre>
 * Reports: heap per key beyond the key and value bytes, the time snapshot() takes (the stall
 * applies see), the worst apply-batch latency while a snapshot persists on another thread,
 * and the times to persist to a file and to restore from it.
 */
public final class KvScaleMeasurement {

    private KvScaleMeasurement() {
    }

    public static void main(String[] args) throws IOException {
        int keys = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int valueBytes = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        Random random = new Random(1);

        long heapBefore = usedHeapAfterGc();
        KvStateMachine fsm = new KvStateMachine();
        long index = 1;
        long keyBytes = 0;
        long start = System.nanoTime();
        // Keys are inserted in random order, as a real workload would, not ascending.
        List<Integer> order = new ArrayList<>(keys);
        for (int i = 0; i < keys; i++) {
            order.add(i);
        }
        java.util.Collections.shuffle(order, random);
        for (int i = 0; i < keys; i += 1_000) {
            List<LogEntry> batch = new ArrayList<>(1_000);
            for (int j = i; j < Math.min(keys, i + 1_000); j++) {
                String key = "users/" + order.get(j) + "/profile";
                keyBytes += key.length();
                byte[] value = new byte[valueBytes];
                random.nextBytes(value);
                batch.add(KvFixtures.entry(index++, KvCommand.Put.of(key, value)));
            }
            fsm.applyBatch(batch);
        }
        double loadSeconds = (System.nanoTime() - start) / 1e9;
        order = null;
        long heapAfter = usedHeapAfterGc();
        long payload = keyBytes + (long) keys * valueBytes;
        double perKey = (double) (heapAfter - heapBefore - payload) / keys;
        System.out.printf("loaded %,d keys x %d B in %.1f s (%,.0f applies/s); heap %,d MB, per key %.0f B beyond key and value bytes%n",
                keys, valueBytes, loadSeconds, keys / loadSeconds, (heapAfter - heapBefore) >> 20, perKey);

        // The worst batch latency with nothing else running, to compare with the one below.
        long baselineWorstNanos = 0;
        for (int b = 0; b < 1_000; b++) {
            List<LogEntry> batch = randomBatch(random, index, keys, valueBytes);
            index += batch.size();
            long b0 = System.nanoTime();
            fsm.applyBatch(batch);
            baselineWorstNanos = Math.max(baselineWorstNanos, System.nanoTime() - b0);
        }

        // snapshot(): the FSM thread is busy only for this call. The first call in a JVM also
        // links the code; later ones show the steady cost.
        long t0 = System.nanoTime();
        FsmSnapshot snapshot = fsm.snapshot();
        long firstSnapshotNanos = System.nanoTime() - t0;
        long t1 = System.nanoTime();
        for (int i = 0; i < 1_000; i++) {
            fsm.snapshot().release();
        }
        long laterSnapshotNanos = (System.nanoTime() - t1) / 1_000;

        // Persist on another thread while this one keeps applying, and record the worst batch.
        Path file = Files.createTempFile("kv-snapshot", ".bin");
        try {
            long persistStart = System.nanoTime();
            CompletableFuture<Long> persisted = CompletableFuture.supplyAsync(() -> {
                try (OutputStream out = new FileOutputStream(file.toFile())) {
                    snapshot.persist(out);
                    long written = System.nanoTime() - persistStart;
                    ((FileOutputStream) out).getFD().sync();
                    return written;
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            long worstBatchNanos = 0;
            int batches = 0;
            while (!persisted.isDone()) {
                List<LogEntry> batch = randomBatch(random, index, keys, valueBytes);
                index += batch.size();
                long b0 = System.nanoTime();
                fsm.applyBatch(batch);
                worstBatchNanos = Math.max(worstBatchNanos, System.nanoTime() - b0);
                batches++;
            }
            long persistNanos = persisted.join();
            long persistSyncedNanos = System.nanoTime() - persistStart;
            snapshot.release();
            System.out.printf("snapshot() took %.3f ms the first time, %.2f us after; persist wrote %,d MB in %.2f s (%.2f s with fsync) while %,d applies ran alongside; worst 100-entry batch %.1f ms during persist, %.1f ms without%n",
                    firstSnapshotNanos / 1e6, laterSnapshotNanos / 1e3, Files.size(file) >> 20, persistNanos / 1e9,
                    persistSyncedNanos / 1e9, batches * 100L, worstBatchNanos / 1e6, baselineWorstNanos / 1e6);

            fsm = null;
            usedHeapAfterGc();
            KvStateMachine restored = new KvStateMachine();
            long r0 = System.nanoTime();
            try (InputStream in = new FileInputStream(file.toFile())) {
                restored.restore(in);
            }
            double restoreSeconds = (System.nanoTime() - r0) / 1e9;
            System.out.printf("restore of %,d keys (%,d MB) took %.2f s; applied index %,d%n",
                    restored.state().size(), Files.size(file) >> 20, restoreSeconds, restored.appliedIndex());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** 100 puts of random values to random existing keys. */
    private static List<LogEntry> randomBatch(Random random, long firstIndex, int keys, int valueBytes) {
        List<LogEntry> batch = new ArrayList<>(100);
        for (int j = 0; j < 100; j++) {
            byte[] value = new byte[valueBytes];
            random.nextBytes(value);
            batch.add(KvFixtures.entry(firstIndex + j, KvCommand.Put.of("users/" + random.nextInt(keys) + "/profile", value)));
        }
        return batch;
    }

    private static long usedHeapAfterGc() {
        var memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc(); // a full, stop-the-world collection: done when it returns
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
