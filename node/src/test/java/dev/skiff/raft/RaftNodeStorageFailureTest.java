package dev.skiff.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
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

    /** An in-memory log whose appends, once gated, each wait for a permit: a disk that takes as long as the test says. */
    static final class GatedLogStore implements LogStore {
        final InMemoryLogStore delegate = new InMemoryLogStore();
        final Semaphore permits = new Semaphore(0);
        volatile boolean gated;

        /** True while an append waits for a permit. */
        boolean appendWaiting() {
            return permits.hasQueuedThreads();
        }

        @Override public String incarnation() { return delegate.incarnation(); }
        @Override public void markFounded() { delegate.markFounded(); }
        @Override public long firstIndex() { return delegate.firstIndex(); }
        @Override public long lastIndex() { return delegate.lastIndex(); }
        @Override public Optional<LogEntry> getLog(long index) { return delegate.getLog(index); }
        @Override public List<LogEntry> getLogs(long from, long to, long maxBytes) { return delegate.getLogs(from, to, maxBytes); }
        @Override public void truncateSuffix(long lastIndexKept) throws IOException { delegate.truncateSuffix(lastIndexKept); }
        @Override public void truncatePrefix(long firstIndexKept) { delegate.truncatePrefix(firstIndexKept); }
        @Override public void reset(long nextIndex) throws IOException { delegate.reset(nextIndex); }
        @Override public void close() { }

        @Override
        public void storeLogs(List<LogEntry> entries) throws IOException {
            if (gated) {
                permits.acquireUninterruptibly();
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
        List<GatedLogStore> logs = new ArrayList<>();
        List<ListFsm> fsms = new ArrayList<>();
        Configuration initial = Configuration.of(Server.voter("n1", "n1:1"), Server.voter("n2", "n2:1"),
                Server.voter("n3", "n3:1"));
        try {
            for (int i = 1; i <= 3; i++) {
                logs.add(new GatedLogStore());
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

            logs.get(slow).gated = true;
            l.apply(b("w1"), t).join(); // committed by the leader and the other follower
            l.apply(b("w2"), t).join();
            await().atMost(t).until(() -> logs.get(slow).appendWaiting()); // the slow follower's write of w1
            logs.get(slow).permits.release(); // w1 is written; w2 comes with the commit of both

            // The follower applies w1 and w2 while its write of w2 still waits.
            await().atMost(t).until(() -> fsms.get(slow).applied().contains("w2"));
            assertThat(logs.get(slow).appendWaiting()).as("the write of w2 still waits").isTrue();

            logs.get(slow).gated = false;
            logs.get(slow).permits.release(100);
            l.apply(b("w3"), t).join();
            await().atMost(t).until(() -> fsms.get(slow).applied().contains("w3"));
            assertThat(fsms.get(slow).applied()).containsExactly("w0", "w1", "w2", "w3");
            assertThat(logs.get(slow).delegate.getLog(logs.get(slow).delegate.lastIndex()).orElseThrow().data())
                    .isEqualTo(b("w3"));
        } finally {
            for (GatedLogStore g : logs) {
                g.gated = false;
                g.permits.release(100);
            }
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
