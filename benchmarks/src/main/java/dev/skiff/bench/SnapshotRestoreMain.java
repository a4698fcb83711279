package dev.skiff.bench;

import dev.skiff.kv.KvCommand;
import dev.skiff.kv.KvCommandCodec;
import dev.skiff.kv.KvStateMachine;
import dev.skiff.raft.Configuration;
import dev.skiff.raft.FsmSnapshot;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import dev.skiff.raft.OpenSnapshot;
import dev.skiff.raft.Server;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.SnapshotSink;
import dev.skiff.raft.Suffrage;
import dev.skiff.wal.FileSnapshotStore;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * Snapshot and restore of a large KV state through the node's real pieces
 * ({@link KvStateMachine}, {@link FileSnapshotStore}), printing one line per measurement:
 *
 * <ul>
 *   <li><b>heap per key</b>: live heap after a full GC with the state loaded, minus before,
 *       divided by the keys; and the same minus the data itself (key UTF-8 bytes + value bytes);
 *   <li><b>snapshot</b>: {@code snapshot()} then {@code persist} into a {@link FileSnapshotStore}
 *       sink and {@code commit} (data forced to disk), while an applier thread keeps applying
 *       batches of 64 puts as the FSM thread would;
 *   <li><b>apply stall</b>: the longest time between two consecutive batch applies during the
 *       snapshot, next to the longest in an equally long window before it (GC and scheduling
 *       noise that has nothing to do with the snapshot);
 *   <li><b>restore</b>: open the committed snapshot and {@code restore} it into a fresh state
 *       machine (read, verify, build).
 * </ul>
 *
 * Usage: {@code java -Xmx3g -cp benchmarks.jar dev.skiff.bench.SnapshotRestoreMain [keys] [valueBytes]}
 * (default 1,000,000 × 100). Files go under {@code -Dskiff.bench.dir} (default: the temp dir) and
 * are deleted at the end. Restoring from S3 is not measured yet: S3 snapshots arrive with issue #5.
 */
public final class SnapshotRestoreMain {

    private SnapshotRestoreMain() {
    }

    public static void main(String[] args) throws Exception {
        int keys = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int valueBytes = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        Path base = Path.of(System.getProperty("skiff.bench.dir", System.getProperty("java.io.tmpdir")));
        Path dir = Files.createTempDirectory(base, "skiff-snapshot-bench");
        try {
            run(keys, valueBytes, dir);
        } finally {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static void run(int keys, int valueBytes, Path dir) throws Exception {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        byte[] value = new byte[valueBytes];
        long heapBefore = liveHeap(memory);

        KvStateMachine fsm = new KvStateMachine();
        long dataBytes = 0;
        long index = 1;
        long loadStart = System.nanoTime();
        List<LogEntry> batch = new ArrayList<>(1000);
        for (int i = 0; i < keys; i++) {
            String key = key(i);
            dataBytes += key.length() + valueBytes;
            batch.add(new LogEntry(index++, 1, LogType.COMMAND, KvCommandCodec.encode(KvCommand.Put.of(key, value))));
            if (batch.size() == 1000) {
                fsm.applyBatch(batch);
                batch.clear();
            }
        }
        fsm.applyBatch(batch);
        batch.clear();
        double loadSeconds = seconds(System.nanoTime() - loadStart);
        long heapAfter = liveHeap(memory);
        double perKey = (double) (heapAfter - heapBefore) / keys;
        double dataPerKey = (double) dataBytes / keys;
        System.out.printf("load: %,d keys x %d B applied in %.2f s (%,.0f keys/s)%n", keys, valueBytes, loadSeconds,
                keys / loadSeconds);
        System.out.printf("heap per key: %.0f B live (data itself %.0f B: key + value), %.0f B beyond the data%n",
                perKey, dataPerKey, perKey - dataPerKey);

        // The applier: overwrites existing keys in batches of 64, as the FSM thread would under load.
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean measuring = new AtomicBoolean();
        AtomicLong maxGapNanos = new AtomicLong();
        AtomicLong applied = new AtomicLong();
        long firstIndex = index;
        Thread applier = Thread.ofPlatform().name("applier").start(() -> {
            long next = firstIndex;
            int cursor = 0;
            List<LogEntry> b = new ArrayList<>(64);
            long last = System.nanoTime();
            while (!stop.get()) {
                b.clear();
                for (int j = 0; j < 64; j++) {
                    cursor = (cursor + 7_919) % keys;
                    b.add(new LogEntry(next++, 1, LogType.COMMAND,
                            KvCommandCodec.encode(KvCommand.Put.of(key(cursor), value))));
                }
                fsm.applyBatch(b);
                applied.addAndGet(64);
                long now = System.nanoTime();
                if (measuring.get()) {
                    maxGapNanos.accumulateAndGet(now - last, Math::max);
                }
                last = now;
                // A loaded node (~64 entries per 0.5 ms), not a saturated one: the snapshot
                // thread gets its share of the two cores.
                LockSupport.parkNanos(500_000);
            }
        });

        FileSnapshotStore store = FileSnapshotStore.open(dir, 2);
        Configuration configuration = Configuration.of(new Server("n1", "127.0.0.1:9001", Suffrage.VOTER, "127.0.0.1:8001"));

        // Baseline window first, of the snapshot's expected length; then the snapshot itself.
        Thread.sleep(500);
        measuring.set(true);
        Thread.sleep(3_000);
        measuring.set(false);
        long baselineGap = maxGapNanos.getAndSet(0);
        long appliedBefore = applied.get();

        measuring.set(true);
        long snapStart = System.nanoTime();
        FsmSnapshot snapshot = fsm.snapshot();
        long takeNanos = System.nanoTime() - snapStart;
        SnapshotSink sink = store.create(fsm.appliedIndex(), 1, configuration, 1);
        snapshot.persist(sink.out());
        SnapshotMeta meta = sink.commit();
        long snapNanos = System.nanoTime() - snapStart;
        measuring.set(false);
        long snapGap = maxGapNanos.get();
        long appliedDuring = applied.get() - appliedBefore;
        stop.set(true);
        applier.join();
        System.out.printf("snapshot: %.2f s for %,d bytes (%.0f MB/s), snapshot() itself %.3f ms; "
                        + "applies went on: %,d entries during it%n",
                seconds(snapNanos), meta.size(), meta.size() / 1e6 / seconds(snapNanos), takeNanos / 1e6, appliedDuring);
        System.out.printf("longest apply stall: %.1f ms during the snapshot (%.1f ms in a 3 s window before it)%n",
                snapGap / 1e6, baselineGap / 1e6);

        long restoreStart = System.nanoTime();
        KvStateMachine restored = new KvStateMachine();
        try (OpenSnapshot open = store.open(meta.id())) {
            restored.restore(open.data());
        }
        double restoreSeconds = seconds(System.nanoTime() - restoreStart);
        System.out.printf("restore (local file): %.2f s, %,d keys (%,.0f keys/s)%n", restoreSeconds,
                restored.state().size(), restored.state().size() / restoreSeconds);
    }

    private static String key(int i) {
        return String.format("bench/key/%08d", i);
    }

    private static long liveHeap(MemoryMXBean memory) throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }
}
