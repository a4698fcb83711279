package dev.skiff.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * Real threads, in-memory network: the {@link Raft} facade end to end. Scenario names read as
 * sentences (MicroRaft style); waiting is done with Awaitility, never sleeps.
 */
class RaftNodeTest {

    private static final Duration T = Duration.ofSeconds(5);

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void when_clusterStarts_then_aLeaderIsElectedAndAppliesReachEveryServer() {
        try (LocalCluster c = LocalCluster.start(3)) {
            LocalCluster.Member leader = c.awaitLeader();
            ApplyResult r = leader.raft.apply(b("x=1"), T).join();
            assertThat(r.index()).isGreaterThan(1);
            assertThat(r.response()).isEqualTo(1);
            c.awaitConverged(List.of("x=1"));
            assertThat(leader.raft.stats().toMap()).containsKeys("state", "term", "last_log_index", "commit_index",
                    "applied_index", "latest_configuration", "num_peers", "last_contact");
            assertThat(leader.raft.stats().numPeers()).isEqualTo(2);
        }
    }

    @Test
    void when_applyOnFollower_then_theLeaderAppendsItOnceAndTheFollowerAnswersWithItsOwnResult() {
        try (LocalCluster c = LocalCluster.start(3)) {
            LocalCluster.Member leader = c.awaitLeader();
            LocalCluster.Member follower = c.follower();
            await().until(() -> follower.raft.leader().isPresent());
            List<CompletableFuture<ApplyResult>> writes = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                writes.add(follower.raft.apply(b("f" + i), T));
            }
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                ApplyResult r = writes.get(i).join();
                expected.add("f" + i);
                // ListFsm answers with its size after the entry: the follower's own FSM gave it.
                assertThat(follower.fsm.applied().get((Integer) r.response() - 1)).isEqualTo("f" + i);
            }
            assertThat(writes.stream().map(w -> w.join().index()).distinct()).hasSize(50);
            assertThat(leader.raft.state()).isEqualTo(RaftState.LEADER);
            c.awaitConverged(expected);
        }
    }

    @Test
    void when_followerReads_then_itWaitsForTheLeadersReadIndexAndSeesEveryAcknowledgedWrite() {
        try (LocalCluster c = LocalCluster.start(3)) {
            LocalCluster.Member leader = c.awaitLeader();
            LocalCluster.Member follower = c.follower();
            await().until(() -> follower.raft.leader().isPresent());
            for (int i = 0; i < 20; i++) {
                long written = leader.raft.apply(b("w" + i), T).join().index();
                long read = (i % 2 == 0 ? follower.raft.readIndex() : follower.raft.leaseRead()).join();
                assertThat(read).isGreaterThanOrEqualTo(written);
                assertThat(follower.raft.appliedIndex()).isGreaterThanOrEqualTo(written);
                assertThat(follower.fsm.applied()).contains("w" + i);
            }
            assertThatThrownBy(() -> follower.raft.verifyLeader().join()).cause().isInstanceOf(NotLeaderException.class);
        }
    }

    @Test
    void when_aFollowerKnowsNoLeader_then_applyAndReadsFailAsSurelyNotApplied() {
        try (LocalCluster c = LocalCluster.start(3)) {
            LocalCluster.Member leader = c.awaitLeader();
            LocalCluster.Member follower = c.follower();
            for (LocalCluster.Member m : List.copyOf(c.members.values())) {
                if (m != follower) {
                    c.crash(m);
                }
            }
            await().until(() -> follower.raft.leader().isEmpty());
            assertThatThrownBy(() -> follower.raft.apply(b("lost"), T).join()).cause()
                    .isInstanceOfSatisfying(NotLeaderException.class, e -> assertThat(e.outcomeUnknown()).isFalse());
            assertThatThrownBy(() -> follower.raft.readIndex().join()).cause().isInstanceOf(NotLeaderException.class);
            assertThat(follower.fsm.applied()).doesNotContain("lost");
            assertThat(leader.id).isNotEqualTo(follower.id);
        }
    }

    @Test
    void when_leaderCrashes_then_newLeaderIsElectedAndNoAcknowledgedWriteIsLost() {
        try (LocalCluster c = LocalCluster.start(3)) {
            LocalCluster.Member leader = c.awaitLeader();
            List<String> written = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                leader.raft.apply(b("a" + i), T).join();
                written.add("a" + i);
            }
            c.crash(leader);
            LocalCluster.Member next = c.awaitLeader();
            assertThat(next).isNotSameAs(leader);
            next.raft.apply(b("after"), T).join();
            written.add("after");
            c.restart(leader);
            c.awaitConverged(written);
        }
    }

    @Test
    void when_followerFallsBehindCompactedLog_then_itCatchesUpThroughSnapshot() {
        try (LocalCluster c = LocalCluster.start(3)) {
            LocalCluster.Member leader = c.awaitLeader();
            LocalCluster.Member lagging = c.follower();
            c.crash(lagging);
            List<String> written = new ArrayList<>();
            SnapshotMeta snap = writeAndCompact(leader, written);
            assertThat(snap.index()).isGreaterThan(40);
            c.restart(lagging);
            c.awaitConverged(written);
            assertThat(lagging.snapshots.list()).isNotEmpty();
        }
    }

    @Test
    void when_snapshotsAreSharedByTheCluster_then_aLaggingFollowerInstallsFromTheStore_withoutACopy() throws Exception {
        InMemorySnapshotStore shared = InMemorySnapshotStore.sharedByCluster(5);
        try (LocalCluster c = LocalCluster.startSharingSnapshots(3, shared)) {
            LocalCluster.Member leader = c.awaitLeader();
            LocalCluster.Member lagging = c.follower();
            c.isolate(lagging);
            List<String> written = new ArrayList<>();
            SnapshotMeta snap = writeAndCompact(leader, written);
            c.heal();
            c.awaitConverged(written);
            assertThat(lagging.raft.stats().toMap()).containsEntry("last_snapshot_index", Long.toString(snap.index()));
            // Streaming would have stored a second copy of the snapshot in the shared store.
            assertThat(shared.list()).extracting(SnapshotMeta::index).containsOnlyOnce(snap.index());
        }
    }

    @Test
    void when_aServersStoreIsNotTheSharedOne_then_theLeaderFallsBackToStreamingTheBytes() throws Exception {
        InMemorySnapshotStore shared = InMemorySnapshotStore.sharedByCluster(5);
        try (LocalCluster c = LocalCluster.startSharingSnapshots(3, shared)) {
            LocalCluster.Member leader = c.awaitLeader();
            List<String> written = new ArrayList<>();
            SnapshotMeta snap = writeAndCompact(leader, written);
            LocalCluster.Member own = c.addIdle("n4", new InMemorySnapshotStore(2));
            leader.raft.addNonvoter("n4", own.address, "", 0, T).join();
            await().atMost(T).until(() -> own.fsm.applied().equals(written));
            assertThat(own.snapshots.list()).extracting(SnapshotMeta::index).containsExactly(snap.index());
        }
    }

    /** Applies 50 commands (appended to {@code written}), snapshots, and waits until the leader's log is compacted. */
    @Test
    void when_theStateIsLargeAgainstTheWrites_then_periodicSnapshotsWaitUntilTheLogHoldsAsManyBytes() {
        RaftConfig config = LocalCluster.fastConfig().withSnapshots(Duration.ofMillis(20), 5, 5)
                .withProportionalSnapshotBytes(1024);
        try (LocalCluster c = LocalCluster.start(1, config)) {
            LocalCluster.Member node = c.awaitLeader();
            // A state of about 6 KB, then a snapshot of it: fewer than 5 entries so far, so no periodic one raced it.
            node.raft.apply(b("x".repeat(6000)), T).join();
            SnapshotMeta large = node.raft.snapshot().join().meta();
            assertThat(large.size()).isGreaterThan(6000);

            // Past the entry count, but 1 KB of log against a 6 KB snapshot: no snapshot, for 15 intervals.
            for (int i = 0; i < 10; i++) {
                node.raft.apply(b(String.format("%0100d", i)), T).join();
            }
            await().during(Duration.ofMillis(300)).atMost(T)
                    .until(() -> node.snapshots.list().get(0).index() == large.index());

            // 6.5 KB of log since: the next periodic snapshot is taken.
            for (int i = 10; i < 65; i++) {
                node.raft.apply(b(String.format("%0100d", i)), T).join();
            }
            await().atMost(T).until(() -> node.snapshots.list().get(0).index() > large.index());
        }
    }

    @Test
    void when_theStateIsSmallerThanTheProportionalSize_then_theEntryCountAloneTriggersSnapshots() {
        RaftConfig config = LocalCluster.fastConfig().withSnapshots(Duration.ofMillis(20), 5, 5);
        try (LocalCluster c = LocalCluster.start(1, config)) {
            LocalCluster.Member node = c.awaitLeader();
            node.raft.apply(b("x".repeat(6000)), T).join();
            SnapshotMeta small = node.raft.snapshot().join().meta();
            for (int i = 0; i < 10; i++) {
                node.raft.apply(b(String.format("%0100d", i)), T).join();
            }
            await().atMost(T).until(() -> node.snapshots.list().get(0).index() > small.index());
        }
    }

    private static SnapshotMeta writeAndCompact(LocalCluster.Member leader, List<String> written) {
        for (int i = 0; i < 50; i++) {
            leader.raft.apply(b("s" + i), T).join();
            written.add("s" + i);
        }
        SnapshotMeta snap = leader.raft.snapshot().join().meta();
        // The log is compacted on the loop right after the snapshot is stored.
        await().atMost(T).until(() -> leader.logs.firstIndex() > 2);
        return snap;
    }

    @Test
    void when_serverIsAddedThenRemoved_then_configurationFollows() {
        try (LocalCluster c = LocalCluster.start(3)) {
            LocalCluster.Member leader = c.awaitLeader();
            leader.raft.apply(b("before"), T).join();
            LocalCluster.Member fresh = c.addIdle("n4");
            leader.raft.addNonvoter("n4", fresh.address, "api4", 0, T).join();
            assertThat(leader.raft.configuration().server("n4")).get().extracting(Server::isVoter).isEqualTo(false);
            // The leader records the new member's log incarnation with a configuration change of its own.
            await().atMost(T).until(() -> !leader.raft.configuration().server("n4").orElseThrow().incarnation().isEmpty()
                    && leader.raft.stats().commitIndex() >= leader.raft.stats().latestConfigurationIndex());
            long index = leader.raft.stats().latestConfigurationIndex();
            leader.raft.addVoter("n4", fresh.address, "api4", index, T).join();
            c.awaitConverged(List.of("before"));
            assertThat(leader.raft.configuration().voters()).hasSize(4);
            assertThatThrownBy(() -> leader.raft.removeServer("n4", index, T).join())
                    .cause().isInstanceOf(ConfigurationChangeException.class).hasMessageContaining("changed since");
            leader.raft.removeServer("n4", 0, T).join();
            assertThat(leader.raft.configuration().server("n4")).isEmpty();
        }
    }

    @Test
    void when_leadershipIsTransferred_then_targetBecomesLeader() {
        try (LocalCluster c = LocalCluster.start(3)) {
            LocalCluster.Member leader = c.awaitLeader();
            leader.raft.apply(b("x"), T).join();
            LocalCluster.Member target = c.follower();
            leader.raft.leadershipTransferToServer(target.id, target.address).join();
            await().atMost(T).until(() -> target.raft.state() == RaftState.LEADER);
        }
    }

    @Test
    void when_readingLinearizably_then_readIndexCoversEveryAcknowledgedWrite() {
        try (LocalCluster c = LocalCluster.start(3)) {
            LocalCluster.Member leader = c.awaitLeader();
            long written = leader.raft.apply(b("r"), T).join().index();
            assertThat(leader.raft.readIndex().join()).isGreaterThanOrEqualTo(written);
            assertThat(leader.raft.leaseRead().join()).isGreaterThanOrEqualTo(written);
            leader.raft.verifyLeader().join();
            assertThat(leader.raft.barrier(T).join()).isGreaterThan(written);
            assertThat(leader.fsm.applied()).contains("r");
        }
    }

    @Test
    void when_leaderIsPartitioned_then_itStepsDownAndReadsThereFail() {
        try (LocalCluster c = LocalCluster.start(3)) {
            LocalCluster.Member leader = c.awaitLeader();
            c.isolate(leader);
            await().atMost(T).until(() -> leader.raft.state() != RaftState.LEADER);
            assertThatThrownBy(() -> leader.raft.readIndex().join()).cause().isInstanceOf(NotLeaderException.class);
            LocalCluster.Member next = c.awaitLeader();
            assertThat(next).isNotSameAs(leader);
            c.heal();
            next.raft.apply(b("healed"), T).join();
            c.awaitConverged(List.of("healed"));
        }
    }

    @Test
    void when_userSnapshotIsRestored_then_everyServerHasItsState() throws Exception {
        try (LocalCluster c = LocalCluster.start(3)) {
            LocalCluster.Member leader = c.awaitLeader();
            leader.raft.apply(b("old"), T).join();
            ListFsm source = new ListFsm();
            source.applyBatch(List.of(new LogEntry(1, 1, LogType.COMMAND, b("restored-1")),
                    new LogEntry(2, 1, LogType.COMMAND, b("restored-2"))));
            var bytes = new java.io.ByteArrayOutputStream();
            source.snapshot().persist(bytes);
            long index = leader.raft.restore(null, new java.io.ByteArrayInputStream(bytes.toByteArray()), T).join();
            assertThat(index).isGreaterThan(2);
            c.awaitConverged(List.of("restored-1", "restored-2"));
            leader.raft.apply(b("after"), T).join();
            c.awaitConverged(List.of("restored-1", "restored-2", "after"));
        }
    }

    @Test
    void when_aRestoreIsNotASnapshot_then_everyServerRefusesIt_andTheClusterGoesOn() {
        try (LocalCluster c = LocalCluster.start(3)) {
            LocalCluster.Member leader = c.awaitLeader();
            leader.raft.apply(b("kept"), T).join();
            CompletableFuture<Long> restore = leader.raft.restore(null, new java.io.ByteArrayInputStream(new byte[] {0, 0, 0, 9}), T);
            assertThatThrownBy(restore::join).cause().isInstanceOf(RestoreRefusedException.class)
                    .hasMessageContaining("nothing changed");
            leader.raft.apply(b("after"), T).join();
            c.awaitConverged(List.of("kept", "after"));
        }
    }

    @Test
    void when_aServerIsDownDuringARestore_then_itLoadsTheRestoreFromTheLogWhenBack() throws Exception {
        try (LocalCluster c = LocalCluster.start(3)) {
            LocalCluster.Member leader = c.awaitLeader();
            leader.raft.apply(b("old"), T).join();
            LocalCluster.Member down = c.members.values().stream().filter(m -> m != leader).findFirst().orElseThrow();
            c.crash(down);
            ListFsm source = new ListFsm();
            source.applyBatch(List.of(new LogEntry(1, 1, LogType.COMMAND, b("restored"))));
            var bytes = new java.io.ByteArrayOutputStream();
            source.snapshot().persist(bytes);
            leader.raft.restore(null, new java.io.ByteArrayInputStream(bytes.toByteArray()), T).join();
            leader.raft.apply(b("after"), T).join();
            c.restart(down);
            c.awaitConverged(List.of("restored", "after"));
        }
    }

    @Test
    void when_aRestoreIsLargerThanOneLogEntryTakes_then_refusedBeforeAnythingIsProposed() throws Exception {
        try (LocalCluster c = LocalCluster.start(1)) {
            LocalCluster.Member only = c.awaitLeader();
            SnapshotMeta big = new SnapshotMeta("upload", 1, 1, Configuration.EMPTY, 0, Raft.MAX_RESTORE_BYTES + 1L, "");
            assertThatThrownBy(() -> only.raft.restore(big, java.io.InputStream.nullInputStream(), T).join()).cause()
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--restore-from");
            long next = only.raft.apply(b("next"), T).join().index();
            // The leader may append entries of its own meanwhile (its no-op, a configuration entry
            // recording its log incarnation): what must be absent is a restore entry.
            assertThat(only.logs.getLogs(1, next, Long.MAX_VALUE)).as("nothing was proposed for the restore")
                    .noneMatch(e -> e.type() == LogType.RESTORE);
        }
    }

    @Test
    void when_bootstrappingTwice_then_cannotBootstrap() {
        try (LocalCluster c = LocalCluster.start(1)) {
            LocalCluster.Member only = c.awaitLeader();
            CompletableFuture<Void> again = only.raft.bootstrapCluster(Configuration.of(Server.voter(only.id, only.address)));
            assertThatThrownBy(again::join).cause().isInstanceOf(CannotBootstrapException.class);
            assertThat(Raft.hasExistingState(only.logs, only.stable, only.snapshots)).isTrue();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void when_applyAfterShutdown_then_raftShutdownException() {
        LocalCluster c = LocalCluster.start(1);
        LocalCluster.Member only = c.awaitLeader();
        c.close();
        assertThatThrownBy(() -> only.raft.apply(b("late"), T).join()).cause().isInstanceOf(RaftShutdownException.class);
        assertThat(only.raft.state()).isEqualTo(RaftState.SHUTDOWN);
    }
}
