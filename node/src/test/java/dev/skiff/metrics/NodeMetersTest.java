package dev.skiff.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.kv.KvStateMachine;
import dev.skiff.raft.Configuration;
import dev.skiff.raft.InMemorySnapshotStore;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.SnapshotSink;
import dev.skiff.wal.SegmentedLogStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each adapter feeds its component's timings into the registry, with HELP text. */
class NodeMetersTest {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    @Test
    void when_theWalAppendsBatches_then_appendAndFsyncAreTimedOncePerBatch(@TempDir Path dir) throws Exception {
        try (SegmentedLogStore log = SegmentedLogStore.open(dir,
                SegmentedLogStore.Options.DEFAULTS.withTimings(new WalMeters(registry)))) {
            log.storeLogs(List.of(LogEntry.of(1, 1, LogType.NOOP), LogEntry.of(2, 1, LogType.NOOP)));
            log.storeLogs(List.of(LogEntry.of(3, 1, LogType.NOOP)));
        }
        assertThat(registry.get("skiff_wal_append").timer().count()).isEqualTo(2);
        assertThat(registry.get("skiff_wal_fsync").timer().count()).isEqualTo(2);
        assertThat(registry.get("skiff_wal_append").timer().totalTime(java.util.concurrent.TimeUnit.NANOSECONDS))
                .isGreaterThanOrEqualTo(registry.get("skiff_wal_fsync").timer().totalTime(java.util.concurrent.TimeUnit.NANOSECONDS));
        assertThat(registry.scrape()).contains("# HELP skiff_wal_append_seconds time to append")
                .contains("# HELP skiff_wal_fsync_seconds time of the fsync");
    }

    @Test
    void when_anAppendIsTimed_then_recordingAllocatesNothing() {
        WalMeters meters = new WalMeters(registry);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().threadId();
        for (int i = 0; i < 10_000; i++) {
            meters.appended(50_000 + i, 40_000 + i);
        }
        long before = threads.getThreadAllocatedBytes(thread);
        for (int i = 0; i < 100_000; i++) {
            meters.appended(50_000 + i, 40_000 + i);
        }
        long allocated = threads.getThreadAllocatedBytes(thread) - before;
        // The WAL's writer calls this once per batch: it must not add garbage to the write path.
        // Less than a byte a record means nothing per call (a time-window rotation of the max
        // or histogram allocates a little now and then: about 1.3 KB for these 100,000).
        assertThat(allocated).as("bytes allocated by 100,000 records").isLessThan(100_000);
        assertThat(registry.get("skiff_wal_fsync").timer().count()).isEqualTo(110_000);
    }

    @Test
    void when_theStateMachineApplies_then_eachBatchIsTimedAndItsEntriesCounted() {
        KvStateMachine kv = new KvStateMachine(new ApplyMeters(registry));
        kv.applyBatch(List.of(LogEntry.of(1, 1, LogType.NOOP), LogEntry.of(2, 1, LogType.NOOP)));
        kv.apply(LogEntry.of(3, 1, LogType.NOOP));
        assertThat(registry.get("skiff_kv_apply").timer().count()).isEqualTo(2);
        assertThat(registry.get("skiff_kv_applied_entries").counter().count()).isEqualTo(3);
    }

    @Test
    void when_aSnapshotIsCommittedOrCancelled_then_itsDurationOutcomeAndSizeAreRecorded() throws Exception {
        MeteredSnapshotStore store = new MeteredSnapshotStore(new InMemorySnapshotStore(3), registry);
        SnapshotSink sink = store.create(10, 2, Configuration.EMPTY, 0);
        sink.out().write(new byte[1234]);
        SnapshotMeta meta = sink.commit();
        SnapshotSink abandoned = store.create(11, 2, Configuration.EMPTY, 0);
        abandoned.cancel();
        abandoned.cancel();

        assertThat(store.list()).extracting(SnapshotMeta::id).containsExactly(meta.id());
        assertThat(registry.get("skiff_snapshot").tag("outcome", "ok").timer().count()).isEqualTo(1);
        assertThat(registry.get("skiff_snapshot").tag("outcome", "error").timer().count()).isEqualTo(1);
        assertThat(registry.get("skiff_snapshot_size").summary().totalAmount()).isEqualTo(meta.size());
        assertThat(registry.get("skiff_snapshot_last_size").gauge().value()).isEqualTo(meta.size());
        assertThat(meta.size()).isGreaterThanOrEqualTo(1234);
    }

    @Test
    void when_theJvmBindersAreBound_then_memoryThreadsCpuAndFileDescriptorsAreExported() {
        try (JvmMeters ignored = new JvmMeters(registry)) {
            String scrape = registry.scrape();
            for (String family : List.of("jvm_memory_used_bytes", "jvm_threads_live_threads", "process_cpu_usage",
                    "process_files_open_files", "process_uptime_seconds", "jvm_classes_loaded_classes")) {
                assertThat(scrape).containsPattern("(?m)^# HELP " + family + " \\S");
            }
        }
    }
}
