package dev.skiff.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.ArrayList;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.Test;

/**
 * Disk full at the Raft level (issue #3, item 6): when the log cannot be written the leader
 * refuses new writes with a {@link StorageFailureException} that says nothing was applied,
 * keeps what it acknowledged, and resumes once the store accepts writes again. And a follower
 * whose disk is slow applies what is committed without waiting for its own write.
 */
class RaftNodeStorageFailureTest {

    /**
     * An in-memory log with a disk the test controls: its writes fail while "the disk is full",
     * and each append of an entry the gate names first waits for a permit (a disk as slow as the
     * test says).
     */
    static final class TestDiskLogStore implements LogStore {
        final InMemoryLogStore delegate = new InMemoryLogStore();
        final Semaphore permits = new Semaphore(0);
        volatile boolean full;
        volatile Set<String> gated = Set.of();
        /** The commands of the append that waits for a permit; empty if none. */
        volatile List<String> waiting = List.of();

        private void beforeWrite() throws IOException {
            if (full) {
                throw new IOException("No space left on device");
            }
        }

        /** True while an append of {@code command} waits for a permit. */
        boolean waitingToWrite(String command) {
            return waiting.contains(command);
        }

        void ungate() {
            gated = Set.of();
            permits.release(1_000);
        }

        @Override public String incarnation() { return delegate.incarnation(); }
        @Override public void markFounded() { delegate.markFounded(); }
        @Override public long firstIndex() { return delegate.firstIndex(); }
        @Override public long lastIndex() { return delegate.lastIndex(); }
        @Override public Optional<LogEntry> getLog(long index) { return delegate.getLog(index); }
        @Override public List<LogEntry> getLogs(long from, long to, long maxBytes) { return delegate.getLogs(from, to, maxBytes); }
        @Override public void truncateSuffix(long lastIndexKept) throws IOException { beforeWrite(); delegate.truncateSuffix(lastIndexKept); }
        @Override public void truncatePrefix(long firstIndexKept) { delegate.truncatePrefix(firstIndexKept); }
        @Override public void reset(long nextIndex) throws IOException { beforeWrite(); delegate.reset(nextIndex); }
        @Override public void close() { }

        @Override
        public void storeLogs(List<LogEntry> entries) throws IOException {
            beforeWrite();
            List<String> commands = entries.stream().map(e -> new String(e.data(), StandardCharsets.UTF_8)).toList();
            if (commands.stream().anyMatch(gated::contains)) {
                waiting = commands;
                permits.acquireUninterruptibly();
                waiting = List.of();
            }
            delegate.storeLogs(entries);
        }
    }

    /**
     * A follower writes new entries before it answers; the entries the same Ready commits are
     * handed to its state machine before that write, not after it (so a write that came in
     * through the follower is answered an fsync sooner), and once each, also when writes wait.
     */
    @Test
    void when_aFollowersDiskIsSlow_then_itAppliesWhatIsCommittedBeforeItsWriteEndsAndEachEntryOnce() throws Exception {
        InMemoryNetwork network = new InMemoryNetwork();
        Duration t = Duration.ofSeconds(5);
        List<Raft> rafts = new ArrayList<>();
        List<TestDiskLogStore> logs = new ArrayList<>();
        List<ListFsm> fsms = new ArrayList<>();
        Configuration initial = Configuration.of(Server.voter("n1", "n1:1"), Server.voter("n2", "n2:1"),
                Server.voter("n3", "n3:1"));
        try {
            for (int i = 1; i <= 3; i++) {
                logs.add(new TestDiskLogStore());
                fsms.add(new ListFsm());
                rafts.add(Raft.create(LocalCluster.fastConfig().withLocalId("n" + i), fsms.getLast(), logs.getLast(),
                        new InMemoryStableStore(), new InMemorySnapshotStore(), network.transport("n" + i + ":1")));
            }
            for (Raft r : rafts) {
                r.bootstrapCluster(initial).join();
            }
            await().atMost(t).until(() -> rafts.stream().anyMatch(r -> r.state() == RaftState.LEADER));
            int leader = 0;
            while (rafts.get(leader).state() != RaftState.LEADER) {
                leader++;
            }
            int slow = (leader + 1) % 3;
            Raft l = rafts.get(leader);
            l.apply(b("w0"), t).join();
            await().atMost(t).until(() -> fsms.get(slow).applied().contains("w0"));

            // Gated by content, not from now on: a write of w0 (a resent one) may still be under way.
            TestDiskLogStore slowLog = logs.get(slow);
            slowLog.gated = Set.of("w1", "w2");
            l.apply(b("w1"), t).join(); // committed by the leader and the other follower
            await().atMost(t).until(() -> slowLog.waitingToWrite("w1"));
            // Proposed once w1 is committed (and w1's write here waits), so whatever append
            // carries w2 here says w1 is committed: the Ready that writes w2 commits w1. (The
            // leader pipelines it, so it waits in this follower's queue with the notice that
            // w1 is committed, and both are handled in one batch, one Ready.)
            l.apply(b("w2"), t).join();
            slowLog.permits.release(); // w1 is written

            // The follower applies w1 while its write of w2 waits (before, only after that write).
            await().atMost(t).until(() -> slowLog.waitingToWrite("w2"));
            await().atMost(t).until(() -> fsms.get(slow).applied().contains("w1"));
            assertThat(slowLog.waitingToWrite("w2")).isTrue();
            assertThat(slowLog.delegate.getLog(slowLog.delegate.lastIndex()).orElseThrow().data())
                    .as("w2 is not written yet").isEqualTo(b("w1"));

            slowLog.ungate();
            l.apply(b("w3"), t).join();
            await().atMost(t).until(() -> fsms.get(slow).applied().contains("w3"));
            assertThat(fsms.get(slow).applied()).containsExactly("w0", "w1", "w2", "w3");
            assertThat(logs.get(slow).delegate.getLog(logs.get(slow).delegate.lastIndex()).orElseThrow().data())
                    .isEqualTo(b("w3"));
        } finally {
            logs.forEach(TestDiskLogStore::ungate);
            for (Raft r : rafts) {
                r.close();
            }
        }
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void when_diskIsFull_then_writesAreRefusedAsNotAppliedAndResumeAfterwards() throws Exception {
        TestDiskLogStore logs = new TestDiskLogStore();
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
