package dev.skiff.raft.core;

import dev.skiff.raft.Configuration;
import dev.skiff.raft.ConfigurationCodec;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import dev.skiff.raft.RaftConfig;
import dev.skiff.raft.ScriptNode;
import dev.skiff.raft.Server;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.SnapshotSink;
import dev.skiff.raft.message.AppendEntries;
import dev.skiff.raft.message.AppendEntriesResponse;
import dev.skiff.raft.message.RaftMessage;
import dev.skiff.raft.message.RequestVote;
import dev.skiff.raft.message.RequestVoteResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builders for the core unit tests: servers with a given log, and the messages they exchange.
 * Servers are named "1".."n" at address "id:7000"; the log's first entry is always the
 * configuration (as after {@link RaftCore#bootstrap}).
 */
final class CoreFixtures {

    /** Election timeout in ticks; each wait is randomized in [ELECTION, 2 × ELECTION). */
    static final int ELECTION = 10;
    /** Heartbeat interval in ticks. */
    static final int HEARTBEAT = 1;
    /** Leader lease in ticks. */
    static final int LEASE = 9;

    private CoreFixtures() {
    }

    /** Ticks of 10 ms; heartbeat 1 tick, election timeout 10 ticks, lease 9 ticks. */
    static RaftConfig config(boolean preVote, boolean checkQuorum) {
        return RaftConfig.defaults("x")
                .withTimeouts(Duration.ofMillis(10L * HEARTBEAT), Duration.ofMillis(10L * ELECTION),
                        Duration.ofMillis(10L * LEASE))
                .withElectionSafeguards(preVote, checkQuorum)
                .validate();
    }

    /** Voters "1".."n". */
    static Configuration voters(int n) {
        List<Server> servers = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            servers.add(Server.voter(String.valueOf(i), i + ":7000"));
        }
        return new Configuration(servers);
    }

    /**
     * A log whose entry 1 is {@code configuration} in term {@code terms[0]} and whose later
     * entries are commands "c2", "c3", ... in the given terms.
     */
    static List<LogEntry> log(Configuration configuration, long... terms) {
        List<LogEntry> entries = new ArrayList<>();
        entries.add(new LogEntry(1, terms[0], LogType.CONFIGURATION, ConfigurationCodec.encode(configuration)));
        for (int i = 1; i < terms.length; i++) {
            entries.add(command(i + 1, terms[i]));
        }
        return entries;
    }

    static LogEntry command(long index, long term) {
        return new LogEntry(index, term, LogType.COMMAND, ("c" + index).getBytes(StandardCharsets.UTF_8));
    }

    /** A started server whose stores hold {@code entries}, in {@code term} without a vote. */
    static ScriptNode node(String id, RaftConfig config, long term, List<LogEntry> entries) {
        ScriptNode n = new ScriptNode(id);
        try {
            n.logs.storeLogs(entries);
            n.storage.saveHardState(new HardState(term, null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        n.start(config, 42 + Long.parseLong(id));
        return n;
    }

    /** Server {@code id} of a {@code size}-voter cluster whose log holds entries in {@code terms}. */
    static ScriptNode node(String id, int size, boolean preVote, boolean checkQuorum, long term, long... terms) {
        return node(id, config(preVote, checkQuorum), term, log(voters(size), terms));
    }

    /** Server "1" of a {@code size}-voter cluster, elected leader in term 2 with its no-op persisted. */
    static ScriptNode leader(int size, boolean checkQuorum) {
        ScriptNode n = node("1", size, false, checkQuorum, 1, 1);
        campaign(n);
        for (int i = 2; i <= size; i++) {
            n.core.step(voteResponse(String.valueOf(i), "1", n.core.term(), true));
        }
        n.drainMessages();
        return n;
    }

    /** Ticks {@code n} until it stops being a follower (at most two election timeouts). */
    static void campaign(ScriptNode n) {
        for (int i = 0; i < 2 * ELECTION && n.core.state() == dev.skiff.raft.RaftState.FOLLOWER; i++) {
            n.core.tick();
        }
    }

    /** Acknowledges everything {@code follower} has been sent up to the leader's last index. */
    static void ackAll(ScriptNode leader, String follower) {
        leader.core.step(appendResponse(follower, leader.id, leader.core.term(), true, leader.core.lastIndex(), 0));
        leader.drainMessages();
    }

    static AppendEntries append(String from, String to, long term, long prevIndex, long prevTerm, long commit,
                                LogEntry... entries) {
        return new AppendEntries(term, from, from + ":7000", to, prevIndex, prevTerm, Arrays.asList(entries), commit, 0);
    }

    static AppendEntriesResponse appendResponse(String from, String to, long term, boolean success, long lastIndex,
                                                long readSeq) {
        return new AppendEntriesResponse(term, from, from + ":7000", to, success, lastIndex, 0, 0, readSeq, "");
    }

    static RequestVote vote(String from, String to, long term, long lastIndex, long lastTerm) {
        return new RequestVote(term, from, from + ":7000", to, lastIndex, lastTerm, false, false);
    }

    static RequestVoteResponse voteResponse(String from, String to, long term, boolean granted) {
        return new RequestVoteResponse(term, from, from + ":7000", to, granted, false, "");
    }

    /** Stores a snapshot holding {@code commands} in {@code n}'s snapshot store (as if received). */
    static SnapshotMeta storeSnapshot(ScriptNode n, long index, long term, Configuration configuration,
                                      List<String> commands) {
        try {
            SnapshotSink sink = n.snapshots.create(index, term, configuration, 1);
            ScriptNode.writeFsm(sink, commands);
            return sink.commit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The messages of type {@code type} in {@code messages}. */
    static <T extends RaftMessage> List<T> only(Class<T> type, List<RaftMessage> messages) {
        return messages.stream().filter(type::isInstance).map(type::cast).toList();
    }
}
