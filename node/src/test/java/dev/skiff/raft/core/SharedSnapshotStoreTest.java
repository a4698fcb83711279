package dev.skiff.raft.core;

import static dev.skiff.raft.core.CoreFixtures.ackAll;
import static dev.skiff.raft.core.CoreFixtures.appendResponse;
import static dev.skiff.raft.core.CoreFixtures.campaign;
import static dev.skiff.raft.core.CoreFixtures.config;
import static dev.skiff.raft.core.CoreFixtures.log;
import static dev.skiff.raft.core.CoreFixtures.node;
import static dev.skiff.raft.core.CoreFixtures.only;
import static dev.skiff.raft.core.CoreFixtures.storeSnapshot;
import static dev.skiff.raft.core.CoreFixtures.voteResponse;
import static dev.skiff.raft.core.CoreFixtures.voters;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.raft.LogType;
import dev.skiff.raft.RaftConfig;
import dev.skiff.raft.ScriptNode;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.message.InstallSnapshot;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A snapshot store shared by the cluster (S3): retention keeps the newest snapshots of all
 * members, so the one a leader took itself may be gone when a follower needs it. Found by the
 * simulation once it shared one store across the cluster (seed 4987): the leader retried the
 * missing snapshot forever and, in an idle cluster that took no new snapshot, the follower never
 * caught up.
 */
class SharedSnapshotStoreTest {

    private final RaftConfig config = config(false, false).withSnapshots(Duration.ofSeconds(1), 1, 0);

    @Test
    void aLeaderAdoptsAnotherMembersNewerSnapshotAndSendsThatOne() {
        ScriptNode n = leaderWithCommands(3);
        SnapshotMeta own = n.takeSnapshot();
        n.drainMessages();
        commit(n, "d");
        SnapshotMeta others = storeSnapshot(n, n.core.commitIndex(), n.core.term(), voters(3), List.of("a", "b", "c", "d"));

        assertThat(n.core.adoptSharedSnapshot(others)).isTrue();

        // Node 3 has nothing: the leader must send it the adopted snapshot, not its own (gone).
        n.core.step(appendResponse("3", "1", n.core.term(), false, 1, 0));
        assertThat(only(InstallSnapshot.class, n.drainMessages())).singleElement()
                .satisfies(s -> assertThat(s.meta()).isEqualTo(others));
        assertThat(others.index()).isGreaterThan(own.index());
    }

    @Test
    void aSnapshotOfTheSameIndexReplacesTheGoneOne() {
        ScriptNode n = leaderWithCommands(2);
        SnapshotMeta own = n.takeSnapshot();
        n.drainMessages();
        SnapshotMeta twin = storeSnapshot(n, own.index(), own.term(), voters(3), List.of("a", "b"));

        assertThat(n.core.adoptSharedSnapshot(twin)).isTrue();
        assertThat(n.core.latestSnapshot()).isEqualTo(twin);
        assertThat(n.core.adoptSharedSnapshot(twin)).as("the same one again").isFalse();
    }

    @Test
    void neitherAnOlderSnapshotNorOneBeyondWhatThisServerAppliedIsAdopted() {
        ScriptNode n = leaderWithCommands(2);
        SnapshotMeta own = n.takeSnapshot();
        n.drainMessages();
        SnapshotMeta older = storeSnapshot(n, own.index() - 1, own.term(), voters(3), List.of("a"));
        assertThat(n.core.adoptSharedSnapshot(older)).isFalse();

        // Entries this server has not handed to its FSM yet must not be compacted away.
        n.core.propose(LogType.COMMAND, "x".getBytes(StandardCharsets.UTF_8));
        n.drainMessages();
        SnapshotMeta ahead = storeSnapshot(n, n.core.lastIndex(), n.core.term(), voters(3), List.of("a", "b", "x"));
        assertThat(n.core.adoptSharedSnapshot(ahead)).isFalse();
        assertThat(n.core.latestSnapshot()).isEqualTo(own);
    }

    /** Node 1 of three, leader in term 2 with node 2's vote, with {@code count} commands committed with node 2. */
    private ScriptNode leaderWithCommands(int count) {
        ScriptNode n = node("1", config, 1, log(voters(3), 1));
        campaign(n);
        n.core.step(voteResponse("2", "1", 2, true));
        n.drainMessages();
        ackAll(n, "2");
        for (int i = 0; i < count; i++) {
            commit(n, String.valueOf((char) ('a' + i)));
        }
        return n;
    }

    private static void commit(ScriptNode n, String command) {
        n.core.propose(LogType.COMMAND, command.getBytes(StandardCharsets.UTF_8));
        n.drainMessages();
        ackAll(n, "2");
    }
}
