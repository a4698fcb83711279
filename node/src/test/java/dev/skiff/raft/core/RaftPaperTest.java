package dev.skiff.raft.core;

import static dev.skiff.raft.core.CoreFixtures.ELECTION;
import static dev.skiff.raft.core.CoreFixtures.HEARTBEAT;
import static dev.skiff.raft.core.CoreFixtures.ackAll;
import static dev.skiff.raft.core.CoreFixtures.append;
import static dev.skiff.raft.core.CoreFixtures.appendResponse;
import static dev.skiff.raft.core.CoreFixtures.campaign;
import static dev.skiff.raft.core.CoreFixtures.command;
import static dev.skiff.raft.core.CoreFixtures.config;
import static dev.skiff.raft.core.CoreFixtures.leader;
import static dev.skiff.raft.core.CoreFixtures.log;
import static dev.skiff.raft.core.CoreFixtures.node;
import static dev.skiff.raft.core.CoreFixtures.only;
import static dev.skiff.raft.core.CoreFixtures.storeSnapshot;
import static dev.skiff.raft.core.CoreFixtures.vote;
import static dev.skiff.raft.core.CoreFixtures.voteResponse;
import static dev.skiff.raft.core.CoreFixtures.voters;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import dev.skiff.raft.RaftConfig;
import dev.skiff.raft.RaftState;
import dev.skiff.raft.ScriptNode;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.message.AppendEntries;
import dev.skiff.raft.message.AppendEntriesResponse;
import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.InstallSnapshotResponse;
import dev.skiff.raft.message.RaftMessage;
import dev.skiff.raft.message.RequestVote;
import dev.skiff.raft.message.RequestVoteResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The rules of the Raft paper (Ongaro and Ousterhout, "In Search of an Understandable
 * Consensus Algorithm", §5 and §7) checked on a single {@link RaftCore} driven by hand: set up a
 * server, step messages or ticks into it, then check what its Readies persisted and sent
 * (after etcd's {@code raft_paper_test.go}). Pre-vote is off unless a test says otherwise, so
 * the paper's election rules apply unchanged.
 */
class RaftPaperTest {

    // ---------------------------------------------------------------- §5.1 terms

    @Test
    void followerAdoptsHigherTermFromAppendEntriesAndLearnsTheLeader() {
        // Reference: section 5.1 — "If a server's current term is smaller than the other's,
        // it updates its current term to the larger value."
        ScriptNode n = node("2", 3, false, false, 1, 1);
        n.core.step(append("1", "2", 2, 1, 1, 0));
        n.drainMessages();
        assertThat(n.core.term()).isEqualTo(2);
        assertThat(n.core.state()).isEqualTo(RaftState.FOLLOWER);
        assertThat(n.core.leaderId()).isEqualTo("1");
    }

    @Test
    void candidateRevertsToFollowerOnHigherTerm() {
        // Reference: section 5.1 — "If a candidate or leader discovers that its term is out of
        // date, it immediately reverts to follower state."
        ScriptNode n = node("1", 3, false, false, 1, 1);
        campaign(n);
        assertThat(n.core.state()).isEqualTo(RaftState.CANDIDATE);
        n.core.step(append("2", "1", 3, 1, 1, 0));
        assertThat(n.core.state()).isEqualTo(RaftState.FOLLOWER);
        assertThat(n.core.term()).isEqualTo(3);
    }

    @Test
    void leaderRevertsToFollowerOnHigherTermAndPersistsIt() throws IOException {
        // Reference: section 5.1 (and Figure 2, "Rules for Servers: All Servers").
        ScriptNode n = leader(3, false);
        n.core.step(appendResponse("2", "1", 7, false, 0, 0));
        n.drainMessages();
        assertThat(n.core.state()).isEqualTo(RaftState.FOLLOWER);
        assertThat(n.core.term()).isEqualTo(7);
        assertThat(n.core.leaderId()).isNull();
        assertThat(n.storage.loadHardState()).isEqualTo(new HardState(7, null));
    }

    @Test
    void requestsFromStaleTermsAreRejectedWithTheCurrentTerm() {
        // Reference: section 5.1 — "If a server receives a request with a stale term number,
        // it rejects the request."
        ScriptNode n = node("2", 3, false, false, 3, 1);
        n.core.step(append("1", "2", 2, 1, 1, 0, command(2, 2)));
        n.core.step(vote("3", "2", 2, 5, 2));
        List<RaftMessage> out = n.drainMessages();

        AppendEntriesResponse ar = only(AppendEntriesResponse.class, out).get(0);
        assertThat(ar.success()).isFalse();
        assertThat(ar.term()).isEqualTo(3);
        RequestVoteResponse vr = only(RequestVoteResponse.class, out).get(0);
        assertThat(vr.granted()).isFalse();
        assertThat(vr.term()).isEqualTo(3);
        assertThat(n.core.lastIndex()).isEqualTo(1);
        assertThat(n.core.leaderId()).isNull();
        assertThat(n.core.votedFor()).isNull();
    }

    // ---------------------------------------------------------------- §5.2 leader election

    @Test
    void serversStartAsFollowers() {
        // Reference: section 5.2 — "When servers start up, they begin as followers."
        ScriptNode n = node("1", 3, false, false, 4, 1, 4);
        assertThat(n.core.state()).isEqualTo(RaftState.FOLLOWER);
        assertThat(n.core.term()).isEqualTo(4);
    }

    @Test
    void leaderSendsHeartbeatsToEveryFollower() {
        // Reference: section 5.2 — "Leaders send periodic heartbeats (AppendEntries RPCs that
        // carry no log entries) to all followers in order to maintain their authority."
        ScriptNode n = leader(3, false);
        for (int i = 0; i < HEARTBEAT; i++) {
            n.core.tick();
        }
        List<AppendEntries> beats = only(AppendEntries.class, n.drainMessages());
        assertThat(beats).extracting(RaftMessage::to).containsExactlyInAnyOrder("2", "3");
        assertThat(beats).allSatisfy(a -> {
            assertThat(a.entries()).isEmpty();
            assertThat(a.term()).isEqualTo(2);
        });
    }

    @Test
    void followerStartsElectionAfterTimeoutVotingForItselfDurably() throws IOException {
        // Reference: section 5.2 — "To begin an election, a follower increments its current
        // term and transitions to candidate state. It then votes for itself and issues
        // RequestVote RPCs in parallel to each of the other servers."
        ScriptNode n = node("1", 3, false, false, 1, 1, 1);
        campaign(n);
        List<RaftMessage> out = n.drainMessages();

        assertThat(n.core.state()).isEqualTo(RaftState.CANDIDATE);
        assertThat(n.core.term()).isEqualTo(2);
        assertThat(n.core.votedFor()).isEqualTo("1");
        // Figure 2: currentTerm and votedFor are persisted before responding to (or sending) RPCs.
        assertThat(n.storage.loadHardState()).isEqualTo(new HardState(2, "1"));
        List<RequestVote> votes = only(RequestVote.class, out);
        assertThat(votes).extracting(RaftMessage::to).containsExactlyInAnyOrder("2", "3");
        assertThat(votes).allSatisfy(v -> {
            assertThat(v.term()).isEqualTo(2);
            assertThat(v.lastLogIndex()).isEqualTo(2);
            assertThat(v.lastLogTerm()).isEqualTo(1);
            assertThat(v.preVote()).isFalse();
        });
    }

    static Stream<Arguments> elections() {
        return Stream.of(
                Arguments.of(1, Map.of(), RaftState.LEADER),
                Arguments.of(3, Map.of("2", true, "3", true), RaftState.LEADER),
                Arguments.of(3, Map.of("2", true), RaftState.LEADER),
                Arguments.of(5, Map.of("2", true, "3", true, "4", true, "5", true), RaftState.LEADER),
                Arguments.of(5, Map.of("2", true, "3", true, "4", false, "5", false), RaftState.LEADER),
                Arguments.of(5, Map.of("2", true, "3", true), RaftState.LEADER),
                Arguments.of(5, Map.of("2", true), RaftState.CANDIDATE),
                Arguments.of(5, Map.of("2", false, "3", false), RaftState.CANDIDATE),
                Arguments.of(5, Map.of(), RaftState.CANDIDATE),
                Arguments.of(3, Map.of("2", false, "3", false), RaftState.FOLLOWER),
                Arguments.of(5, Map.of("2", false, "3", false, "4", false), RaftState.FOLLOWER),
                Arguments.of(5, Map.of("2", true, "3", false, "4", false, "5", false), RaftState.FOLLOWER));
    }

    @ParameterizedTest(name = "{0} voters, votes {1} -> {2}")
    @MethodSource("elections")
    void candidateWinsWithAMajorityOfVotes(int size, Map<String, Boolean> votes, RaftState expected) {
        // Reference: section 5.2 — "A candidate wins an election if it receives votes from a
        // majority of the servers in the full cluster for the same term." A majority of
        // rejections means it cannot win this term; it waits for a leader or the next timeout.
        ScriptNode n = node("1", size, false, false, 1, 1);
        campaign(n);
        new TreeMap<>(votes).forEach((from, granted) -> n.core.step(voteResponse(from, "1", 2, granted)));
        assertThat(n.core.state()).isEqualTo(expected);
        assertThat(n.core.term()).isEqualTo(2);
    }

    @Test
    void aServerVotesForAtMostOneCandidatePerTerm() throws IOException {
        // Reference: section 5.2 — "Each server will vote for at most one candidate in a given
        // term, on a first-come-first-served basis."
        ScriptNode n = node("2", 3, false, false, 1, 1);
        n.core.step(vote("1", "2", 2, 1, 1));
        n.core.step(vote("3", "2", 2, 1, 1));
        n.core.step(vote("1", "2", 2, 1, 1)); // a retry of the first request
        List<RequestVoteResponse> answers = only(RequestVoteResponse.class, n.drainMessages());

        // Answers to different servers may leave in any order (the node sends each server's together).
        assertThat(answers).extracting(RaftMessage::to, RequestVoteResponse::granted)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("1", true),
                        org.assertj.core.groups.Tuple.tuple("3", false),
                        org.assertj.core.groups.Tuple.tuple("1", true));
        assertThat(n.storage.loadHardState()).isEqualTo(new HardState(2, "1"));
    }

    @Test
    void candidateStepsDownOnAppendEntriesFromALeaderOfItsTerm() {
        // Reference: section 5.2 — "If the leader's term ... is at least as large as the
        // candidate's current term, then the candidate recognizes the leader as legitimate and
        // returns to follower state."
        ScriptNode n = node("1", 3, false, false, 1, 1);
        campaign(n);
        n.drainMessages();
        n.core.step(append("2", "1", 2, 1, 1, 0));
        List<RaftMessage> out = n.drainMessages();

        assertThat(n.core.state()).isEqualTo(RaftState.FOLLOWER);
        assertThat(n.core.term()).isEqualTo(2);
        assertThat(n.core.leaderId()).isEqualTo("2");
        assertThat(only(AppendEntriesResponse.class, out)).singleElement()
                .satisfies(r -> assertThat(r.success()).isTrue());
    }

    @Test
    void candidateStartsANewElectionWhenItsElectionTimesOut() {
        // Reference: section 5.2 — "each candidate will time out and start a new election by
        // incrementing its term and initiating another round of RequestVote RPCs."
        ScriptNode n = node("1", 3, false, false, 1, 1);
        campaign(n);
        n.drainMessages();
        for (int i = 0; i < 2 * ELECTION; i++) {
            n.core.tick();
        }
        List<RequestVote> votes = only(RequestVote.class, n.drainMessages());
        assertThat(n.core.state()).isEqualTo(RaftState.CANDIDATE);
        assertThat(n.core.term()).isEqualTo(3);
        assertThat(votes).extracting(RequestVote::term).contains(3L);
    }

    @Test
    void electionTimeoutsAreRandomizedWithinOneTimeout() {
        // Reference: section 5.2 — "Raft uses randomized election timeouts ... chosen randomly
        // from a fixed interval (e.g., 150–300ms)." Here: [ELECTION, 2 × ELECTION) ticks.
        Set<Integer> seen = new HashSet<>();
        RaftConfig config = config(false, false);
        for (long seed = 0; seed < 100; seed++) {
            ScriptNode n = new ScriptNode("1");
            n.logs.storeLogs(log(voters(3), 1));
            n.start(config, seed);
            int ticks = 0;
            while (n.core.state() == RaftState.FOLLOWER) {
                n.core.tick();
                ticks++;
            }
            assertThat(ticks).isBetween(ELECTION, 2 * ELECTION - 1);
            seen.add(ticks);
        }
        assertThat(seen).as("distinct timeouts over 100 seeds").hasSizeGreaterThan(ELECTION / 2);
    }

    // ---------------------------------------------------------------- §5.3 log replication

    @Test
    void leaderAppendsProposalsInItsTermAndReplicatesThem() {
        // Reference: section 5.3 — "The leader appends the command to its log as a new entry,
        // then issues AppendEntries RPCs in parallel to each of the other servers."
        ScriptNode n = leader(3, false);
        ackAll(n, "2");
        ackAll(n, "3");
        long index = n.core.propose(LogType.COMMAND, "x".getBytes(StandardCharsets.UTF_8));
        List<AppendEntries> out = only(AppendEntries.class, n.drainMessages());

        assertThat(index).isEqualTo(3);
        assertThat(n.core.entry(3)).get().extracting(LogEntry::term).isEqualTo(2L);
        assertThat(n.logs.lastIndex()).as("persisted before sending").isEqualTo(3);
        assertThat(out).extracting(RaftMessage::to).containsExactlyInAnyOrder("2", "3");
        assertThat(out).allSatisfy(a -> {
            assertThat(a.prevLogIndex()).isEqualTo(2);
            assertThat(a.prevLogTerm()).isEqualTo(2);
            assertThat(a.entries()).extracting(LogEntry::index).containsExactly(3L);
        });
    }

    @Test
    void leaderCommitsOnceAMajorityHasTheEntryAndTellsFollowers() {
        // Reference: section 5.3 — "A log entry is committed once the leader that created the
        // entry has replicated it on a majority of the servers"; "the leader keeps track of the
        // highest index it knows to be committed, and it includes that index in future
        // AppendEntries RPCs."
        ScriptNode n = leader(5, false);
        for (String f : List.of("2", "3", "4", "5")) {
            ackAll(n, f);
        }
        long index = n.core.propose(LogType.COMMAND, new byte[] {1});
        n.drainMessages();
        n.core.step(appendResponse("2", "1", 2, true, index, 0));
        n.drainMessages();
        assertThat(n.core.commitIndex()).as("leader + 1 of 5").isEqualTo(index - 1);
        n.core.step(appendResponse("3", "1", 2, true, index, 0));
        List<AppendEntries> out = only(AppendEntries.class, n.drainMessages());
        assertThat(n.core.commitIndex()).as("leader + 2 of 5").isEqualTo(index);
        assertThat(out).isNotEmpty().allSatisfy(a -> assertThat(a.leaderCommit()).isEqualTo(index));
    }

    @Test
    void leaderCountsItsOwnEntryOnlyOncePersisted() {
        // Reference: section 5.3 with Figure 2's durability rule: an entry counts toward a
        // majority on the leader only when the leader holds it on stable storage.
        ScriptNode n = leader(3, false);
        ackAll(n, "2");
        ackAll(n, "3");
        long index = n.core.propose(LogType.COMMAND, new byte[] {1});
        n.core.step(appendResponse("2", "1", 2, true, index, 0));
        assertThat(n.core.commitIndex()).isEqualTo(index - 1);
        n.drainMessages();
        assertThat(n.core.commitIndex()).isEqualTo(index);
    }

    @Test
    void followerRejectsAppendEntriesWhenItLacksPrevLogIndex() {
        // Reference: section 5.3 — consistency check: "If the follower does not find an entry
        // in its log with the same index and term, then it refuses the new entries." Too short:
        // conflictIndex is its last index + 1, conflictTerm 0 (fast back-off hint).
        ScriptNode n = node("2", 3, false, false, 2, 1, 1);
        n.core.step(append("1", "2", 2, 5, 2, 0, command(6, 2)));
        AppendEntriesResponse r = only(AppendEntriesResponse.class, n.drainMessages()).get(0);
        assertThat(r.success()).isFalse();
        assertThat(r.lastLogIndex()).isEqualTo(5);
        assertThat(r.conflictIndex()).isEqualTo(3);
        assertThat(r.conflictTerm()).isZero();
        assertThat(n.core.lastIndex()).isEqualTo(2);
    }

    @Test
    void followerRejectsAppendEntriesWhosePrevLogTermDiffersNamingTheConflictingTerm() {
        // Reference: section 5.3 — consistency check, and the optimization at its end: "the
        // follower can include the term of the conflicting entry and the first index it stores
        // for that term."
        ScriptNode n = node("2", 3, false, false, 3, 1, 1, 2, 2, 2);
        n.core.step(append("1", "2", 3, 5, 3, 0, command(6, 3)));
        AppendEntriesResponse r = only(AppendEntriesResponse.class, n.drainMessages()).get(0);
        assertThat(r.success()).isFalse();
        assertThat(r.conflictTerm()).isEqualTo(2);
        assertThat(r.conflictIndex()).isEqualTo(3);
        assertThat(n.core.lastIndex()).isEqualTo(5);
    }

    @Test
    void leaderUsesTheConflictHintToSkipBack() {
        // Reference: section 5.3 — "the leader can decrement nextIndex to bypass all of the
        // conflicting entries in that term; one AppendEntries RPC will be required for each
        // term with conflicting entries, rather than one RPC per entry."
        ScriptNode n = node("1", 3, false, false, 1, 1, 1, 1, 1);
        campaign(n);
        n.core.step(voteResponse("2", "1", 2, true));
        List<AppendEntries> probe = only(AppendEntries.class, n.drainMessages());
        assertThat(probe).filteredOn(a -> a.to().equals("2")).singleElement()
                .satisfies(a -> assertThat(a.prevLogIndex()).isEqualTo(4));
        // Follower 2 holds only 1..2.
        n.core.step(new AppendEntriesResponse(2, "2", "2:7000", "1", false, 4, 3, 0, 0, ""));
        AppendEntries next = only(AppendEntries.class, n.drainMessages()).get(0);
        assertThat(next.to()).isEqualTo("2");
        assertThat(next.prevLogIndex()).isEqualTo(2);
        assertThat(next.prevLogTerm()).isEqualTo(1);
        assertThat(next.entries()).extracting(LogEntry::index).containsExactly(3L, 4L, 5L);
    }

    @Test
    void conflictingSuffixIsTruncatedAndReplaced() throws IOException {
        // Reference: section 5.3 — "If an existing entry conflicts with a new one (same index
        // but different terms), delete the existing entry and all that follow it" (Figure 2,
        // AppendEntries receiver step 3).
        ScriptNode n = node("2", 3, false, false, 2, 1, 1, 2, 2);
        n.core.step(append("1", "2", 3, 2, 1, 0, command(3, 3)));
        List<Ready> readies = n.process();

        assertThat(n.core.lastIndex()).isEqualTo(3);
        assertThat(n.core.entry(3)).get().extracting(LogEntry::term).isEqualTo(3L);
        assertThat(readies.get(0).entries()).extracting(LogEntry::index).containsExactly(3L);
        assertThat(n.logs.lastIndex()).as("stored suffix truncated").isEqualTo(3);
        assertThat(n.logs.getLog(3)).get().extracting(LogEntry::term).isEqualTo(3L);
        AppendEntriesResponse r = only(AppendEntriesResponse.class, readies.get(0).messages().stream()
                .map(o -> o.message()).toList()).get(0);
        assertThat(r.success()).isTrue();
        assertThat(r.lastLogIndex()).isEqualTo(3);
    }

    @Test
    void entriesAlreadyInTheLogAreNotTruncated() {
        // Reference: section 5.3 / Figure 2 step 3-4: only a conflict truncates; "append any
        // new entries not already in the log". A delayed, shorter AppendEntries must not cut
        // entries that came after it.
        ScriptNode n = node("2", 3, false, false, 2, 1, 1, 2, 2);
        n.core.step(append("1", "2", 2, 1, 1, 0, command(2, 1)));
        List<Ready> readies = n.process();
        assertThat(n.core.lastIndex()).isEqualTo(4);
        assertThat(readies).allSatisfy(r -> assertThat(r.entries()).isEmpty());
    }

    static Stream<Arguments> leaderCommits() {
        // follower log: 1..5 in term 1; message: prev index, entries (indexes), leaderCommit
        return Stream.of(
                Arguments.of(2, 1, 5, 3L),  // min(leaderCommit, last new) = last new
                Arguments.of(2, 1, 2, 2L),  // leaderCommit below the new entries
                Arguments.of(4, 0, 10, 4L), // heartbeat: last new entry is prevLogIndex
                Arguments.of(2, 3, 4, 4L));
    }

    @ParameterizedTest(name = "prev {0}, {1} entries, leaderCommit {2} -> commit {3}")
    @MethodSource("leaderCommits")
    void followerCommitsUpToLeaderCommitButNotPastItsLastNewEntry(long prev, int count, long leaderCommit,
                                                                   long expected) {
        // Reference: section 5.3 / Figure 2, AppendEntries receiver step 5 — "If leaderCommit
        // > commitIndex, set commitIndex = min(leaderCommit, index of last new entry)."
        ScriptNode n = node("2", 3, false, false, 1, 1, 1, 1, 1, 1);
        LogEntry[] entries = new LogEntry[count];
        for (int i = 0; i < count; i++) {
            entries[i] = command(prev + 1 + i, 1);
        }
        n.core.step(append("1", "2", 1, prev, 1, leaderCommit, entries));
        n.process();
        assertThat(n.core.commitIndex()).isEqualTo(expected);
        assertThat(n.appliedIndex()).as("committed entries are applied").isEqualTo(expected);
    }

    // ---------------------------------------------------------------- §5.4 safety

    static Stream<Arguments> voterLogs() {
        // the voter's log is (1@1, 2@1, 3@2); the candidate's (lastIndex, lastTerm)
        return Stream.of(
                Arguments.of(2L, 2L, false), // same last term, shorter
                Arguments.of(3L, 2L, true),
                Arguments.of(4L, 2L, true),
                Arguments.of(2L, 1L, false),
                Arguments.of(5L, 1L, false), // longer but an older last term
                Arguments.of(1L, 3L, true)); // shorter but a newer last term
    }

    @ParameterizedTest(name = "candidate last {0}@{1} -> granted {2}")
    @MethodSource("voterLogs")
    void voteDeniedToACandidateWithALessUpToDateLog(long lastIndex, long lastTerm, boolean granted) {
        // Reference: section 5.4.1 — "If the logs have last entries with different terms, then
        // the log with the later term is more up-to-date. If the logs end with the same term,
        // then whichever log is longer is more up-to-date."
        ScriptNode n = node("2", 3, false, false, 2, 1, 1, 2);
        n.core.step(vote("1", "2", 3, lastIndex, lastTerm));
        RequestVoteResponse r = only(RequestVoteResponse.class, n.drainMessages()).get(0);
        assertThat(r.granted()).isEqualTo(granted);
        assertThat(n.core.votedFor()).isEqualTo(granted ? "1" : null);
    }

    @Test
    void leaderDoesNotCommitAPreviousTermEntryByCountingReplicas() {
        // Reference: section 5.4.2 (Figure 8) — "Raft never commits log entries from previous
        // terms by counting replicas. Only log entries from the leader's current term are
        // committed by counting replicas"; the earlier entries then commit with it (§8: the
        // leader commits a blank no-op entry at the start of its term).
        ScriptNode n = node("1", 3, false, false, 2, 1, 2);
        campaign(n);
        n.core.step(voteResponse("2", "1", 3, true));
        n.drainMessages();
        assertThat(n.core.state()).isEqualTo(RaftState.LEADER);
        assertThat(n.core.entry(3)).get().satisfies(e -> {
            assertThat(e.type()).isEqualTo(LogType.NOOP);
            assertThat(e.term()).isEqualTo(3);
        });

        // Follower 2 holds 2@2 (replicated on a majority with the leader), not the no-op yet.
        n.core.step(appendResponse("2", "1", 3, true, 2, 0));
        n.drainMessages();
        assertThat(n.core.commitIndex()).as("2@2 is on a majority but is from term 2").isZero();

        n.core.step(appendResponse("2", "1", 3, true, 3, 0));
        n.drainMessages();
        assertThat(n.core.commitIndex()).as("the no-op of term 3 commits, and 2@2 with it").isEqualTo(3);
        assertThat(n.appliedIndex()).isEqualTo(3);
        assertThat(n.applied()).containsExactly("c2");
    }

    // ---------------------------------------------------------------- §7 log compaction

    @Test
    void installSnapshotKeepsTheSuffixWhenTheLogHasTheSnapshotsLastEntry() throws IOException {
        // Reference: section 7 / Figure 13, InstallSnapshot receiver step 6 — "If existing log
        // entry has same index and term as snapshot's last included entry, retain log entries
        // following it and reply."
        ScriptNode n = node("2", 3, false, false, 1, 1, 1, 1, 1, 1);
        SnapshotMeta meta = storeSnapshot(n, 3, 1, voters(3), List.of("a", "b"));
        n.core.snapshotReceived(new InstallSnapshot(1, "1", "1:7000", "2", meta), meta);
        List<Ready> readies = n.process();

        Ready first = readies.get(0);
        assertThat(first.resetLogTo()).isZero();
        assertThat(first.restore()).isEqualTo(meta);
        assertThat(n.core.lastIndex()).isEqualTo(5);
        assertThat(n.logs.getLog(5)).isPresent();
        assertThat(n.core.commitIndex()).isEqualTo(3);
        assertThat(n.applied()).containsExactly("a", "b");
        InstallSnapshotResponse r = (InstallSnapshotResponse) first.messages().get(0).message();
        assertThat(r.success()).isTrue();
    }

    @Test
    void installSnapshotDiscardsALogThatDoesNotHoldTheSnapshotsLastEntry() throws IOException {
        // Reference: section 7 / Figure 13, InstallSnapshot receiver step 7 — "Discard the
        // entire log"; the Ready says so with resetLogTo, and the store is reset before the
        // answer goes out.
        ScriptNode n = node("2", 3, false, false, 1, 1, 1, 1, 1, 1);
        SnapshotMeta meta = storeSnapshot(n, 4, 2, voters(3), List.of("z"));
        n.core.snapshotReceived(new InstallSnapshot(2, "1", "1:7000", "2", meta), meta);
        List<Ready> readies = n.process();

        assertThat(readies.get(0).resetLogTo()).isEqualTo(5);
        assertThat(n.core.lastIndex()).isEqualTo(4);
        assertThat(n.core.lastTerm()).isEqualTo(2);
        assertThat(n.core.entry(5)).isEmpty();
        assertThat(n.logs.lastIndex()).isZero();
        assertThat(n.core.term()).isEqualTo(2);
        assertThat(n.core.leaderId()).isEqualTo("1");
        assertThat(n.applied()).containsExactly("z");
    }

    @Test
    void leaderSendsInstallSnapshotToAFollowerBehindTheCompactedLog() {
        // Reference: section 7 — "the leader must occasionally send snapshots to followers that
        // lag behind ... when the leader has already discarded the next log entry that it needs
        // to send to a follower."
        ScriptNode n = leaderOfThreeWithFollower2(config(false, false).withSnapshots(Duration.ofSeconds(1), 1, 0));
        SnapshotMeta meta = commitAndSnapshot(n, "x");
        assertThat(n.appliedIndex()).isEqualTo(3);
        assertThat(n.logs.firstIndex()).as("compacted, trailingLogs = 0").isZero();

        // Follower 3 has an empty log and rejects the first probe (prev 1).
        n.core.step(new AppendEntriesResponse(2, "3", "3:7000", "1", false, 1, 1, 0, 0, ""));
        List<InstallSnapshot> snaps = only(InstallSnapshot.class, n.drainMessages());
        assertThat(snaps).singleElement().satisfies(s -> {
            assertThat(s.to()).isEqualTo("3");
            assertThat(s.meta()).isEqualTo(meta);
        });
    }

    @Test
    void leaderCreditsAFollowerOnlyWithTheSnapshotItSaysItInstalled() {
        // Found by the simulation (seed 2010560): a transfer given up on, a newer snapshot sent
        // instead, then the first transfer's late success arrived and the leader took it for the
        // newer snapshot: matchIndex past the follower's log, and a probe loop it never left.
        RaftConfig config = config(false, false).withSnapshots(Duration.ofSeconds(1), 1, 0);
        ScriptNode n = leaderOfThreeWithFollower2(config);
        SnapshotMeta first = commitAndSnapshot(n, "x");
        n.core.step(new AppendEntriesResponse(2, "3", "3:7000", "1", false, 1, 1, 0, 0, ""));
        assertThat(only(InstallSnapshot.class, n.drainMessages())).singleElement()
                .satisfies(s -> assertThat(s.meta()).isEqualTo(first));

        n.core.snapshotSendFailed("3");
        SnapshotMeta second = commitAndSnapshot(n, "y");
        assertThat(second.index()).isGreaterThan(first.index());
        List<InstallSnapshot> retried = List.of();
        for (int t = 0; t < config.electionTicks() && retried.isEmpty(); t++) {
            n.core.tick(); // the abandoned transfer's retry delay runs out
            retried = only(InstallSnapshot.class, n.drainMessages());
        }
        assertThat(retried).singleElement().satisfies(s -> assertThat(s.meta()).isEqualTo(second));

        n.core.step(new InstallSnapshotResponse(2, "3", "3:7000", "1", true, first.index(), ""));
        assertThat(n.core.progressView().get("3")).contains("match=" + first.index() + " ");
    }

    @Test
    void leaderRepairsAFollowerWhoseDataDirectoryWasWiped() {
        // Issue #11: a follower that lost its log refuses the heartbeat at its old matchIndex;
        // the leader took that for a late answer and probed the same index forever.
        ScriptNode n = leaderOfThreeWithFollower2(config(false, false));
        long match = n.core.lastIndex();
        AppendEntries beat = heartbeatTo(n, "2");
        assertThat(beat.prevLogIndex()).isEqualTo(match);

        n.core.step(new AppendEntriesResponse(2, "2", "2:7000", "1", false, match, 1, 0, beat.readSeq(), ""));

        assertThat(only(AppendEntries.class, n.drainMessages())).singleElement().satisfies(a -> {
            assertThat(a.to()).isEqualTo("2");
            assertThat(a.prevLogIndex()).isZero();
            assertThat(a.entries()).extracting(LogEntry::index).containsExactly(1L, 2L);
        });
        assertThat(n.core.progressView().get("2")).contains("match=0 ");
        assertThat(n.takeNotices()).singleElement().asString()
                .contains("follower=2").contains("matchIndex=" + match).contains("followerLastIndex=0");
        assertThat(n.takeNotices()).isEmpty();
    }

    @Test
    void leaderRepairsAFollowerThatLostTheTailOfItsLog() {
        ScriptNode n = leaderOfThreeWithFollower2(config(false, false));
        n.core.propose(LogType.COMMAND, "x".getBytes(StandardCharsets.UTF_8));
        n.drainMessages();
        ackAll(n, "2");
        long match = n.core.lastIndex();
        AppendEntries beat = heartbeatTo(n, "2");

        // Its newest record was torn off: it holds up to match - 1.
        n.core.step(new AppendEntriesResponse(2, "2", "2:7000", "1", false, match, match, 0, beat.readSeq(), ""));

        assertThat(only(AppendEntries.class, n.drainMessages())).singleElement().satisfies(a -> {
            assertThat(a.prevLogIndex()).isEqualTo(match - 1);
            assertThat(a.entries()).extracting(LogEntry::index).containsExactly(match);
        });
        n.core.step(appendResponse("2", "1", 2, true, match, beat.readSeq()));
        assertThat(n.core.progressView().get("2")).contains("match=" + match + " ");
    }

    @Test
    void aRejectionSentBeforeTheFollowerCaughtUpDoesNotResetIt() {
        // A refusal of a request sent before the leader heard of the follower's matchIndex may
        // be a late answer from before it caught up: not evidence of lost entries.
        ScriptNode n = leaderOfThreeWithFollower2(config(false, false));
        AppendEntries beat = heartbeatTo(n, "2");
        n.core.propose(LogType.COMMAND, "x".getBytes(StandardCharsets.UTF_8));
        n.drainMessages();
        n.core.step(appendResponse("2", "1", 2, true, n.core.lastIndex(), beat.readSeq()));
        long match = n.core.lastIndex();
        n.drainMessages();

        n.core.step(new AppendEntriesResponse(2, "2", "2:7000", "1", false, match, 1, 0, beat.readSeq(), ""));
        n.process(); // the driver logs what the core noticed

        assertThat(n.core.progressView().get("2")).contains("match=" + match + " ");
        assertThat(n.takeNotices()).isEmpty();
    }

    @Test
    void anAppendAfterAnIdleSpellIsNotJudgedLostAtTheNextTick() {
        // The leader probes a follower whose appends stay unanswered for half an election
        // timeout; that wait once counted from the follower's last progress, so after an idle
        // spell the first new append was judged lost one tick later: sent again, and the
        // follower's pipeline paused until it answered.
        ScriptNode n = leaderOfThreeWithFollower2(config(false, false));
        for (int t = 0; t < 2 * ELECTION; t++) {
            n.core.tick();
        }
        n.drainMessages();
        n.core.propose(LogType.COMMAND, "x".getBytes(StandardCharsets.UTF_8));
        assertThat(only(AppendEntries.class, n.drainMessages())).filteredOn(a -> a.to().equals("2"))
                .singleElement().satisfies(a -> assertThat(a.entries()).hasSize(1));

        n.core.tick();
        assertThat(only(AppendEntries.class, n.drainMessages())).filteredOn(a -> a.to().equals("2"))
                .allSatisfy(a -> assertThat(a.entries()).as("sent again").isEmpty());
        assertThat(n.core.progressView().get("2")).contains("REPLICATE");

        // Still unanswered half an election timeout later: probed, as before.
        List<AppendEntries> resent = List.of();
        for (int t = 0; t < ELECTION && resent.isEmpty(); t++) {
            n.core.tick();
            resent = only(AppendEntries.class, n.drainMessages()).stream()
                    .filter(a -> a.to().equals("2") && !a.entries().isEmpty()).toList();
        }
        assertThat(resent).singleElement().satisfies(a -> assertThat(a.entries()).hasSize(1));
        assertThat(n.core.progressView().get("2")).contains("PROBE");
    }

    /** Ticks {@code n} to its next heartbeat round and returns the heartbeat sent to {@code to}. */
    private static AppendEntries heartbeatTo(ScriptNode n, String to) {
        for (int t = 0; t < HEARTBEAT; t++) {
            n.core.tick();
        }
        return only(AppendEntries.class, n.drainMessages()).stream().filter(a -> a.to().equals(to))
                .findFirst().orElseThrow();
    }

    /** Node 1 of three, elected in term 2 with node 2's vote, its no-op committed with node 2; node 3 silent. */
    private static ScriptNode leaderOfThreeWithFollower2(RaftConfig config) {
        ScriptNode n = node("1", config, 1, log(voters(3), 1));
        campaign(n);
        n.core.step(voteResponse("2", "1", 2, true));
        n.drainMessages();
        ackAll(n, "2");
        return n;
    }

    /** Proposes {@code command}, commits it with node 2, and snapshots (compacting the log). */
    private static SnapshotMeta commitAndSnapshot(ScriptNode n, String command) {
        n.core.propose(LogType.COMMAND, command.getBytes(StandardCharsets.UTF_8));
        n.drainMessages();
        ackAll(n, "2");
        SnapshotMeta meta = n.takeSnapshot();
        n.drainMessages();
        return meta;
    }
}
