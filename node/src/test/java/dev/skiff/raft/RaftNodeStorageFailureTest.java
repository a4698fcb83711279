package dev.skiff.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * Disk full at the Raft level (issue #3, item 6): when the log cannot be written the leader
 * refuses new writes with a {@link StorageFailureException} that says nothing was applied,
 * keeps what it acknowledged, and resumes once the store accepts writes again.
 */
class RaftNodeStorageFailureTest {

    /** An in-memory log whose writes fail while "the disk is full". */
    static final class FullDiskLogStore implements LogStore {
        final InMemoryLogStore delegate = new InMemoryLogStore();
        volatile boolean full;

        private void check() throws IOException {
            if (full) {
                throw new IOException("No space left on device");
            }
        }

        @Override public String incarnation() { return delegate.incarnation(); }
        @Override public void markFounded() { delegate.markFounded(); }
        @Override public long firstIndex() { return delegate.firstIndex(); }
        @Override public long lastIndex() { return delegate.lastIndex(); }
        @Override public Optional<LogEntry> getLog(long index) { return delegate.getLog(index); }
        @Override public List<LogEntry> getLogs(long from, long to, long maxBytes) { return delegate.getLogs(from, to, maxBytes); }
        @Override public void storeLogs(List<LogEntry> entries) throws IOException { check(); delegate.storeLogs(entries); }
        @Override public void truncateSuffix(long lastIndexKept) throws IOException { check(); delegate.truncateSuffix(lastIndexKept); }
        @Override public void truncatePrefix(long firstIndexKept) { delegate.truncatePrefix(firstIndexKept); }
        @Override public void reset(long nextIndex) throws IOException { check(); delegate.reset(nextIndex); }
        @Override public void close() { }
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void when_diskIsFull_then_writesAreRefusedAsNotAppliedAndResumeAfterwards() throws Exception {
        FullDiskLogStore logs = new FullDiskLogStore();
        ListFsm fsm = new ListFsm();
        InMemoryNetwork network = new InMemoryNetwork();
        Duration t = Duration.ofSeconds(5);
        try (Raft raft = Raft.create(LocalCluster.fastConfig().withLocalId("n1"), fsm, logs, new InMemoryStableStore(),
                new InMemorySnapshotStore(), network.transport("n1:1"))) {
            List<Observation> observed = new java.util.concurrent.CopyOnWriteArrayList<>();
            raft.addObserver(observed::add);
            raft.bootstrapCluster(Configuration.of(Server.voter("n1", "n1:1"))).join();
            await().atMost(t).until(() -> raft.state() == RaftState.LEADER);
            long acked = raft.apply(b("before"), t).join().index();

            logs.full = true;
            ApplyFuture inFlight = raft.apply(b("in-flight"), Duration.ofSeconds(30));
            // The loop notices the failure on its next write; from then on writes fail fast.
            await().atMost(t).untilAsserted(() -> {
                try {
                    raft.apply(b("refused"), t).join();
                    throw new AssertionError("a write was accepted while the disk is full");
                } catch (CompletionException e) {
                    assertThat(e.getCause()).isInstanceOf(StorageFailureException.class)
                            .hasMessageContaining("No space left on device");
                    assertThat(((RaftException) e.getCause()).outcomeUnknown()).isFalse();
                }
            });
            assertThat(logs.delegate.getLog(acked)).isPresent();
            assertThat(inFlight).isNotDone();
            // The failure is reported once, for /v1/status and /metrics.
            await().atMost(t).until(() -> observed.stream().anyMatch(o -> o instanceof Observation.StorageHealth h
                    && h.component().equals("log") && h.problem().orElse("").contains("No space left on device")));

            logs.full = false;
            // The write that was in flight is persisted, committed and applied once space is back.
            assertThat(inFlight.get().index()).isGreaterThan(acked);
            raft.apply(b("after"), t).join();
            assertThat(fsm.applied()).containsExactly("before", "in-flight", "after");
            await().atMost(t).until(() -> observed.getLast() instanceof Observation.StorageHealth h
                    && h.component().equals("log") && h.problem().isEmpty()
                    || observed.stream().anyMatch(o -> o instanceof Observation.StorageHealth h2 && h2.problem().isEmpty()));
        }
    }
}
