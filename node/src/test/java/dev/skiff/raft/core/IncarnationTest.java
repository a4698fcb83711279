package dev.skiff.raft.core;

import static dev.skiff.raft.core.CoreFixtures.ELECTION;
import static dev.skiff.raft.core.CoreFixtures.campaign;
import static dev.skiff.raft.core.CoreFixtures.config;
import static dev.skiff.raft.core.CoreFixtures.log;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.raft.Configuration;
import dev.skiff.raft.RaftState;
import dev.skiff.raft.ScriptNode;
import dev.skiff.raft.Server;
import dev.skiff.raft.Suffrage;
import dev.skiff.raft.message.AppendEntriesResponse;
import dev.skiff.raft.message.RequestVoteResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.Test;

/**
 * Issue #11: a voter whose data directory was wiped comes back with a new log incarnation; its
 * votes and acknowledgements must not count until the leader has staged it and it has caught up
 * again, or it can elect a leader that lacks entries committed with its earlier acknowledgement.
 */
class IncarnationTest {

    /** Three voters whose logs the configuration records as "log-1", "log-2", "log-3". */
    private static final Configuration RECORDED = new Configuration(java.util.List.of(
            new Server("1", "1:7000", Suffrage.VOTER, "", "log-1"),
            new Server("2", "2:7000", Suffrage.VOTER, "", "log-2"),
            new Server("3", "3:7000", Suffrage.VOTER, "", "log-3")));

    private static ScriptNode node(String id, long... terms) {
        ScriptNode n = new ScriptNode(id, "log-" + id);
        try {
            n.logs.storeLogs(log(RECORDED, terms));
            n.storage.saveHardState(new HardState(terms[terms.length - 1], null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        n.start(config(false, false), 42 + Long.parseLong(id));
        return n;
    }

    private static RequestVoteResponse vote(ScriptNode candidate, String from, String incarnation) {
        return new RequestVoteResponse(candidate.core.term(), from, from + ":7000", candidate.id, true, false, incarnation);
    }

    @Test
    void aVoteFromAWipedVoterIsNotCounted() {
        ScriptNode candidate = node("3", 1, 1);
        campaign(candidate);
        assertThat(candidate.core.state()).isEqualTo(RaftState.CANDIDATE);

        candidate.core.step(vote(candidate, "2", "log-2-after-wipe"));
        assertThat(candidate.core.state()).as("vote of voter 2's new, empty log").isEqualTo(RaftState.CANDIDATE);

        candidate.core.step(vote(candidate, "2", "log-2"));
        assertThat(candidate.core.state()).isEqualTo(RaftState.LEADER);
    }

    @Test
    void aServerWhoseLogTheConfigurationDoesNotRecordDoesNotCampaign() {
        ScriptNode wiped = new ScriptNode("2", "log-2-after-wipe");
        wiped.logs.storeLogs(log(RECORDED, 1, 1));
        wiped.start(config(false, false), 7);
        for (int i = 0; i < 4 * ELECTION; i++) {
            wiped.core.tick();
        }
        assertThat(wiped.core.state()).isEqualTo(RaftState.FOLLOWER);
    }

    @Test
    void aWipedVoterIsStagedThenPromotedOnceCaughtUp() {
        ScriptNode leader = node("1", 1, 1);
        campaign(leader);
        leader.core.step(vote(leader, "2", "log-2"));
        assertThat(leader.core.state()).isEqualTo(RaftState.LEADER);
        leader.process();
        leader.drainMessages();
        long term = leader.core.term();
        // Voter 2 acknowledges the no-op from its recorded log: the no-op commits.
        long noop = leader.core.lastIndex();
        leader.core.step(ack(term, "2", noop, "log-2"));
        leader.process();
        assertThat(leader.core.commitIndex()).isEqualTo(noop);

        // Voter 2 answers from a new log: nothing it says counts, and the leader stages it.
        leader.core.step(ack(term, "2", noop, "log-2-after-wipe"));
        leader.core.tick();
        leader.process();
        Configuration staged = leader.core.configuration();
        assertThat(staged.server("2")).get().satisfies(s -> {
            assertThat(s.suffrage()).isEqualTo(Suffrage.STAGING);
            assertThat(s.incarnation()).isEqualTo("log-2-after-wipe");
        });
        assertThat(leader.takeNotices()).anySatisfy(t -> assertThat(t).contains("staging it").contains("server=2"));
        long stagedAt = leader.core.configurationIndex();

        // Voters are now 1 and 3: the staging entry commits with voter 3 alone.
        leader.core.step(ack(term, "3", stagedAt, "log-3"));
        leader.process();
        assertThat(leader.core.commitIndex()).isEqualTo(stagedAt);

        // The new log catches up: promoted on the next tick.
        leader.core.step(ack(term, "2", stagedAt, "log-2-after-wipe"));
        leader.core.tick();
        leader.process();
        assertThat(leader.core.configuration().server("2")).get()
                .extracting(Server::suffrage).isEqualTo(Suffrage.VOTER);
    }

    private static AppendEntriesResponse ack(long term, String from, long index, String incarnation) {
        return new AppendEntriesResponse(term, from, from + ":7000", "1", true, index, 0, 0, 0, incarnation);
    }
}
