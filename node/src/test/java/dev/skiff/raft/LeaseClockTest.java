package dev.skiff.raft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.raft.core.Ready;
import dev.skiff.raft.message.AppendEntries;
import dev.skiff.raft.message.AppendEntriesResponse;
import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.RaftMessage;
import dev.skiff.raft.message.RequestVote;
import dev.skiff.raft.message.RequestVoteResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The leader lease and the clock of a node whose process was paused (issue #11): a leader that
 * resumes from a stall longer than its lease must not answer a lease read from the queue it
 * finds before its logical clock has caught up with the time that passed; meanwhile the other
 * servers may have elected another leader and acknowledged writes it does not know. The node
 * runs here in a hand-driven runtime: the test owns the clock and runs the loop's batches, and
 * plays the two other voters.
 */
class LeaseClockTest {

    private final ManualRuntime runtime = new ManualRuntime();
    private final List<RaftMessage> sent = new ArrayList<>();
    private RaftNode node;

    @Test
    void aLeaderResumingFromAStallLongerThanItsLeaseDoesNotServeALeaseReadFromItsStoppedClock() throws IOException {
        RaftConfig config = RaftConfig.defaults("n1");
        node = RaftNode.start(config, new ListFsm(), new InMemoryLogStore(), new InMemoryStableStore(),
                new InMemorySnapshotStore(), new CapturingTransport(), runtime, new SplittableRandom(7));
        node.bootstrapCluster(new Configuration(List.of(Server.voter("n1", "n1:1"), Server.voter("n2", "n2:1"),
                Server.voter("n3", "n3:1"))));
        for (int i = 0; i < 500 && !(node.state() == RaftState.LEADER && leaseReadAnsweredAtOnce()); i++) {
            runtime.advance(config.tickInterval().toNanos());
            runtime.runLoop();
            peersAnswer();
        }
        assertThat(node.state()).isEqualTo(RaftState.LEADER);
        assertThat(leaseReadAnsweredAtOnce()).as("a fresh lease answers at once").isTrue();

        // The process stops for longer than the lease (and an election timeout): the loop does
        // not run, the peers hear nothing. A client's lease read waits in the queue.
        runtime.advance(config.electionTimeout().multipliedBy(3).toNanos());
        CompletableFuture<Long> read = node.leaseRead();
        runtime.runLoop();

        assertThat(read.isDone() && !read.isCompletedExceptionally())
                .as("a lease read answered from the clock the stall stopped").isFalse();
    }

    private boolean leaseReadAnsweredAtOnce() {
        CompletableFuture<Long> read = node.leaseRead();
        runtime.runLoop();
        return read.isDone() && !read.isCompletedExceptionally();
    }

    /** n2 and n3 grant every vote and acknowledge every append, echoing its read round. */
    private void peersAnswer() {
        for (int round = 0; round < 10 && !sent.isEmpty(); round++) {
            List<RaftMessage> batch = new ArrayList<>(sent);
            sent.clear();
            for (RaftMessage m : batch) {
                switch (m) {
                    case RequestVote v -> node.onMessage(new RequestVoteResponse(v.preVote() ? node.stats().term() : v.term(),
                            v.to(), v.to() + ":1", v.from(), true, v.preVote(), ""));
                    case AppendEntries a -> node.onMessage(new AppendEntriesResponse(a.term(), a.to(), a.to() + ":1", a.from(),
                            true, a.prevLogIndex() + a.entries().size(), 0, 0, a.readSeq(), ""));
                    default -> { }
                }
            }
            runtime.runLoop();
        }
    }

    private final class CapturingTransport implements Transport {

        @Override
        public String localAddress() {
            return "n1:1";
        }

        @Override
        public void start(MessageHandler handler) {
        }

        @Override
        public void send(String targetAddress, RaftMessage message) {
            sent.add(message);
        }

        @Override
        public CompletableFuture<Void> sendSnapshot(String targetAddress, InstallSnapshot header, OpenSnapshot snapshot) {
            return CompletableFuture.failedFuture(new IOException("no snapshots in this test"));
        }

        @Override
        public void close() {
        }
    }

    /** A runtime the test drives: its clock moves only when told, its loop runs only when told, work runs inline. */
    private static final class ManualRuntime implements NodeRuntime {

        private long now = TimeUnit.SECONDS.toNanos(1);
        private LoopBody body;
        private final ArrayDeque<LoopEvent> queue = new ArrayDeque<>();

        void advance(long nanos) {
            now += nanos;
        }

        /** Runs the loop until nothing is queued. */
        void runLoop() {
            do {
                List<LoopEvent> batch = new ArrayList<>(queue);
                queue.clear();
                body.runBatch(batch);
            } while (!queue.isEmpty());
        }

        @Override
        public long nanoTime() {
            return now;
        }

        @Override
        public EventSink startLoop(String name, LoopBody loopBody) {
            body = loopBody;
            return queue::add;
        }

        @Override
        public Executor serialExecutor(String name) {
            return Runnable::run;
        }

        @Override
        public Executor ioExecutor(String name) {
            return Runnable::run;
        }

        @Override
        public Runnable schedule(Runnable task, long delayNanos) {
            return () -> { };
        }

        @Override
        public LogWriter logWriter(RaftStorage storage, String name, Runnable written) {
            return new LogWriter() {
                private final ConcurrentLinkedQueue<Completed> completed = new ConcurrentLinkedQueue<>();

                @Override
                public void submit(Ready ready) {
                    try {
                        storage.persist(ready);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    completed.add(new Completed(ready, null, false));
                    written.run();
                }

                @Override
                public void submitCompaction(Ready ready) {
                    try {
                        storage.compact(ready);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }

                @Override
                public boolean idle() {
                    return true;
                }

                @Override
                public void awaitIdle() {
                }

                @Override
                public Completed takeCompleted() {
                    return completed.poll();
                }

                @Override
                public void resume() {
                }

                @Override
                public void close() {
                }
            };
        }

        @Override
        public void shutdown() {
        }
    }
}
