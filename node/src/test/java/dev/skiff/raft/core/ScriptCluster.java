package dev.skiff.raft.core;

import dev.skiff.raft.Configuration;
import dev.skiff.raft.ConfigurationCodec;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import dev.skiff.raft.RaftConfig;
import dev.skiff.raft.RaftException;
import dev.skiff.raft.RaftState;
import dev.skiff.raft.ScriptNode;
import dev.skiff.raft.Server;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.message.AppendEntries;
import dev.skiff.raft.message.AppendEntriesResponse;
import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.InstallSnapshotResponse;
import dev.skiff.raft.message.RaftMessage;
import dev.skiff.raft.message.RequestVote;
import dev.skiff.raft.message.RequestVoteResponse;
import dev.skiff.raft.message.TimeoutNow;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The world a {@link ScriptTest} script runs in: servers named "1", "2", ... (each a
 * {@link ScriptNode}: the production {@code RaftNode} driver, run step by step), a FIFO queue of
 * messages that move only when the script says so, and partitions. {@link #run(String)} carries
 * out one command and returns its trace: the Readies each driver carried out, in order.
 *
 * <p>Messages sent across a cut link (partition, or a crashed receiver) vanish silently at
 * send time; messages already queued when a link is cut are reported as {@code drop} when
 * delivery is attempted. A snapshot's data is read from the sender's snapshot store when the
 * driver sends it and stored in the receiver's when its {@link InstallSnapshot} is delivered
 * (what a transport does); a failed transfer fails the sender's transfer future, which its
 * driver reports to the core.
 *
 * <p>Deterministic: every random choice (the cores' election jitter) comes from one seeded
 * generator, and every collection iterates in insertion order.
 */
final class ScriptCluster {

    /** A message on its way; a snapshot's data travels with its header, and its sender learns the transfer's outcome. */
    private record Envelope(String from, RaftMessage message, byte[] snapshotData, CompletableFuture<Void> transfer) {
    }

    private static final int MAX_STABILIZE_ROUNDS = 200;

    private final SplittableRandom random;
    private RaftConfig config = CoreFixtures.config(true, true);
    private final Map<String, ScriptNode> nodes = new LinkedHashMap<>();
    private final List<Envelope> queue = new ArrayList<>();
    /** Partition group of each server; empty when the network is whole. */
    private final Map<String, Integer> groups = new HashMap<>();
    private final List<String> out = new ArrayList<>();

    ScriptCluster(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /**
     * Runs one command and returns what happened, one event per line ("ok" if nothing did).
     *
     * @throws IllegalArgumentException for an unknown command or bad arguments
     */
    String run(String line) {
        out.clear();
        String[] words = line.trim().split("\\s+");
        String[] args = Arrays.copyOfRange(words, 1, words.length);
        switch (words[0]) {
            case "config" -> configure(args);
            case "add-nodes" -> addNodes(Integer.parseInt(arg(args, 0)));
            case "bootstrap" -> bootstrap(args);
            case "campaign" -> campaign(node(arg(args, 0)));
            case "tick" -> tick(args);
            case "propose" -> propose(node(arg(args, 0)), arg(args, 1));
            case "transfer" -> transfer(node(arg(args, 0)), arg(args, 1));
            case "add-voter" -> change(args, MembershipChange.Kind.ADD_VOTER);
            case "add-nonvoter" -> change(args, MembershipChange.Kind.ADD_NONVOTER);
            case "remove" -> change(args, MembershipChange.Kind.REMOVE);
            case "demote" -> change(args, MembershipChange.Kind.DEMOTE);
            case "read" -> read(node(arg(args, 0)), Long.parseLong(arg(args, 1)), args.length > 2 && args[2].equals("lease"));
            case "snapshot" -> snapshot(node(arg(args, 0)));
            case "deliver-msgs" -> deliver(args.length == 0 ? e -> true : e -> e.message().to().equals(args[0]));
            case "drop-msgs" -> dropMessages(arg(args, 0));
            case "partition" -> partition(args);
            case "heal" -> groups.clear();
            case "stabilize" -> stabilize();
            case "disk-hold" -> holdDisk(live(arg(args, 0)), true);
            case "disk-release" -> holdDisk(live(arg(args, 0)), false);
            case "crash" -> node(arg(args, 0)).crash();
            case "restart" -> restart(node(arg(args, 0)));
            case "status" -> status(args);
            case "log" -> printLog(node(arg(args, 0)));
            default -> throw new IllegalArgumentException("unknown command: " + words[0]);
        }
        return out.isEmpty() ? "ok" : String.join("\n", out);
    }

    private static String arg(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException("missing argument " + (i + 1));
        }
        return args[i];
    }

    private ScriptNode node(String id) {
        ScriptNode n = nodes.get(id);
        if (n == null) {
            throw new IllegalArgumentException("no server " + id + " (add-nodes first)");
        }
        return n;
    }

    private ScriptNode live(String id) {
        ScriptNode n = node(id);
        if (!n.up()) {
            throw new IllegalArgumentException("server " + id + " is down");
        }
        return n;
    }

    // ---------------------------------------------------------------- setup

    /** {@code config pre-vote=false check-quorum=true trailing-logs=0 max-inflight=4}: for servers started later. */
    private void configure(String[] args) {
        for (String kv : args) {
            String[] p = kv.split("=", 2);
            if (p.length != 2) {
                throw new IllegalArgumentException("config expects key=value, got " + kv);
            }
            config = switch (p[0]) {
                case "pre-vote" -> config.withElectionSafeguards(Boolean.parseBoolean(p[1]), config.checkQuorum());
                case "check-quorum" -> config.withElectionSafeguards(config.preVote(), Boolean.parseBoolean(p[1]));
                // Snapshots only when the script says so: the periodic snapshotter's interval is never reached.
                case "trailing-logs" -> config.withSnapshots(Duration.ofHours(1), 1, Long.parseLong(p[1]));
                case "max-inflight" -> config.withReplication(config.maxAppendEntries(), config.maxAppendBytes(),
                        Integer.parseInt(p[1]));
                default -> throw new IllegalArgumentException("unknown config key " + p[0]);
            };
        }
        config.validate();
    }

    private void addNodes(int count) {
        for (int i = 0; i < count; i++) {
            String id = String.valueOf(nodes.size() + 1);
            ScriptNode n = new ScriptNode(id);
            nodes.put(id, n);
            n.start(config, random.nextLong());
        }
    }

    /** {@code bootstrap [ids]}: a first configuration of these voters (default: every server). */
    private void bootstrap(String[] ids) {
        List<String> members = ids.length == 0 ? List.copyOf(nodes.keySet()) : List.of(ids);
        Configuration c = new Configuration(members.stream().map(id -> Server.voter(id, node(id).address)).toList());
        for (String id : members) {
            ScriptNode n = live(id);
            n.core.bootstrap(c);
            process(n);
        }
    }

    /** {@code disk-hold|disk-release <id>}: the server's log writer (a leader's parallel write) stalls, or resumes. */
    private void holdDisk(ScriptNode n, boolean held) {
        n.holdDisk(held);
        process(n);
    }

    private void restart(ScriptNode n) {
        if (n.up()) {
            throw new IllegalArgumentException("server " + n.id + " is up; crash it first");
        }
        n.start(config, random.nextLong());
        process(n);
    }

    // ---------------------------------------------------------------- time and clients

    /** Ticks {@code n} until it leaves the follower role (at most two election timeouts). */
    private void campaign(ScriptNode n) {
        for (int i = 0; i <= 2 * CoreFixtures.ELECTION && n.core.state() == RaftState.FOLLOWER; i++) {
            n.tick();
            process(n);
        }
        if (n.core.state() == RaftState.FOLLOWER) {
            throw new IllegalStateException("server " + n.id + " did not campaign within two election timeouts");
        }
    }

    /** {@code tick <id>|all [xN] [stabilize]}: with stabilize, messages are delivered after each round. */
    private void tick(String[] args) {
        int times = args.length > 1 && args[1].startsWith("x") ? Integer.parseInt(args[1].substring(1)) : 1;
        boolean deliverEachRound = args[args.length - 1].equals("stabilize");
        List<ScriptNode> targets = arg(args, 0).equals("all")
                ? nodes.values().stream().filter(n -> n.up()).toList()
                : List.of(live(args[0]));
        for (int i = 0; i < times; i++) {
            for (ScriptNode n : targets) {
                n.tick();
                process(n);
            }
            if (deliverEachRound) {
                stabilize();
            }
        }
    }

    private void propose(ScriptNode n, String command) {
        try {
            long index = live(n.id).core.propose(LogType.COMMAND, command.getBytes(StandardCharsets.UTF_8));
            out.add(n.id + " proposed " + command + " at " + index);
        } catch (RaftException e) {
            out.add(n.id + " refused " + command + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        process(n);
    }

    private void transfer(ScriptNode n, String target) {
        try {
            live(n.id).core.transferLeadership(target);
            out.add(n.id + " transfers leadership to " + target);
        } catch (RaftException e) {
            out.add(n.id + " refused transfer: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        process(n);
    }

    /** {@code add-voter|add-nonvoter|remove|demote <leader> <server>}. */
    private void change(String[] args, MembershipChange.Kind kind) {
        ScriptNode leader = live(arg(args, 0));
        ScriptNode subject = node(arg(args, 1));
        try {
            long index = leader.core.changeMembership(new MembershipChange(kind, subject.id, subject.address, "", 0));
            out.add(leader.id + " proposed " + kind + " " + subject.id + " at " + index + ": "
                    + format(leader.core.configuration()));
        } catch (RaftException e) {
            out.add(leader.id + " refused " + kind + " " + subject.id + ": " + e.getClass().getSimpleName() + ": "
                    + e.getMessage());
        }
        process(leader);
    }

    private void read(ScriptNode n, long requestId, boolean lease) {
        try {
            live(n.id).core.readIndex(requestId, lease);
        } catch (RaftException e) {
            out.add(n.id + " refused read " + requestId + ": " + e.getClass().getSimpleName());
        }
        process(n);
    }

    private void snapshot(ScriptNode n) {
        SnapshotMeta meta = live(n.id).takeSnapshot();
        out.add(n.id + " took snapshot at " + meta.index() + "@" + meta.term());
        process(n);
    }

    // ---------------------------------------------------------------- network

    private boolean linkUp(String a, String b) {
        return groups.isEmpty() || groups.getOrDefault(a, -1).equals(groups.getOrDefault(b, -1));
    }

    /** {@code partition 1 / 2 3}: servers in different groups cannot talk; unlisted ones are cut off. */
    private void partition(String[] args) {
        groups.clear();
        int group = 0;
        for (String a : args) {
            if (a.equals("/")) {
                group++;
            } else {
                groups.put(node(a).id, group);
            }
        }
    }

    private void deliver(Predicate<Envelope> which) {
        List<Envelope> batch = new ArrayList<>();
        for (Iterator<Envelope> it = queue.iterator(); it.hasNext(); ) {
            Envelope e = it.next();
            if (which.test(e)) {
                batch.add(e);
                it.remove();
            }
        }
        for (Envelope e : batch) {
            deliver(e);
        }
    }

    private void deliver(Envelope e) {
        ScriptNode to = nodes.get(e.message().to());
        ScriptNode from = nodes.get(e.from());
        if (to == null || !to.up() || !linkUp(e.from(), to.id)) {
            out.add("drop " + format(e.message()));
            if (e.transfer() != null) {
                e.transfer().completeExceptionally(new IOException("dropped: the link to " + e.message().to() + " is down"));
                process(from);
            }
            return;
        }
        if (e.message() instanceof InstallSnapshot header) {
            try {
                to.deliverSnapshot(header, e.snapshotData());
                out.add(to.id + " received snapshot " + header.meta().index() + "@" + header.meta().term());
                e.transfer().complete(null);
            } catch (IOException ex) {
                out.add("drop " + format(e.message()) + ": " + ex.getMessage());
                e.transfer().completeExceptionally(ex);
                process(from);
                return;
            }
        } else {
            to.deliver(e.message());
        }
        process(to);
    }

    /** {@code drop-msgs 1->2} drops the queued messages from 1 to 2; {@code drop-msgs 2}, all to 2. */
    private void dropMessages(String spec) {
        String[] ends = spec.split("->");
        Predicate<Envelope> match = ends.length == 2
                ? e -> e.from().equals(ends[0]) && e.message().to().equals(ends[1])
                : e -> e.message().to().equals(spec);
        for (Iterator<Envelope> it = queue.iterator(); it.hasNext(); ) {
            Envelope e = it.next();
            if (match.test(e)) {
                out.add("drop " + format(e.message()));
                it.remove();
            }
        }
    }

    /** Delivers messages until none are left (no time passes). */
    private void stabilize() {
        for (int round = 0; !queue.isEmpty(); round++) {
            if (round == MAX_STABILIZE_ROUNDS) {
                throw new IllegalStateException("no quiet after " + round + " delivery rounds");
            }
            deliver(e -> true);
        }
    }

    // ---------------------------------------------------------------- the Ready loop

    /**
     * Runs {@code n} until it is quiet, traces the Readies its driver carried out, and queues
     * what it sent on the links that are up. A snapshot sent over a cut link fails at once (the
     * sender is told, and runs again).
     */
    private void process(ScriptNode n) {
        boolean again = true;
        while (again && n.up()) {
            again = false;
            for (Ready r : n.process()) {
                trace(n, r);
            }
            for (ScriptNode.Sent sent : n.takeSent()) {
                RaftMessage m = sent.message();
                ScriptNode to = nodes.get(m.to());
                if (to != null && to.up() && linkUp(n.id, to.id)) {
                    queue.add(new Envelope(n.id, m, sent.snapshotData(), sent.transfer()));
                } else if (sent.transfer() != null) {
                    sent.transfer().completeExceptionally(new IOException("the link to " + m.to() + " is down"));
                    again = true;
                }
            }
        }
    }

    private void trace(ScriptNode n, Ready r) {
        if (r.softState() != null) {
            SoftState s = r.softState();
            out.add(n.id + " is " + s.state() + " t" + s.term() + (s.leaderId() == null ? "" : " leader=" + s.leaderId()));
        }
        if (r.resetLogTo() > 0) {
            out.add(n.id + " reset log to " + r.resetLogTo());
        }
        for (var o : r.messages()) {
            RaftMessage m = o.message();
            ScriptNode to = nodes.get(m.to());
            if (to != null && to.up() && linkUp(n.id, to.id)) {
                out.add(format(m));
            } else if (m instanceof InstallSnapshot) {
                out.add("drop " + format(m));
            }
        }
        if (r.restore() != null) {
            out.add(n.id + " restored snapshot " + r.restore().index() + "@" + r.restore().term());
        }
        if (!r.committed().isEmpty()) {
            out.add(n.id + " applied " + r.committed().stream().map(ScriptCluster::format).collect(Collectors.joining(", ")));
        }
        if (r.compactBefore() > 0) {
            out.add(n.id + " compacted log before " + r.compactBefore());
        }
        for (ReadState rs : r.readStates()) {
            out.add(n.id + " read " + rs.requestId() + " ready at " + rs.index());
        }
        if (r.transferAborted()) {
            out.add(n.id + " transfer aborted");
        }
    }

    // ---------------------------------------------------------------- inspection

    private void status(String[] ids) {
        List<String> which = ids.length == 0 ? List.copyOf(nodes.keySet()) : List.of(ids);
        for (String id : which) {
            ScriptNode n = node(id);
            if (!n.up()) {
                out.add(id + ": down");
                continue;
            }
            RaftCore c = n.core;
            out.add(id + ": " + c.state() + " t" + c.term() + " leader=" + c.leaderId() + " vote=" + c.votedFor()
                    + " last=" + c.lastIndex() + " commit=" + c.commitIndex() + " applied=" + n.appliedIndex()
                    + " snap=" + c.snapshotIndex() + " conf=" + format(c.configuration()) + " fsm=" + n.applied());
            if (c.state() == RaftState.LEADER) {
                c.progressView().values().forEach(p -> out.add("  " + p));
            }
        }
    }

    private void printLog(ScriptNode n) {
        RaftCore c = live(n.id).core;
        List<String> entries = new ArrayList<>();
        for (long i = 1; i <= c.lastIndex(); i++) {
            c.entry(i).ifPresent(e -> entries.add(format(e)));
        }
        out.add(n.id + " log" + (c.snapshotIndex() > 0 ? " after snapshot " + c.snapshotIndex() + "@" + c.snapshotTerm() : "")
                + ": " + (entries.isEmpty() ? "(empty)" : String.join(", ", entries)));
    }

    static String format(Configuration c) {
        return c.servers().stream().map(s -> s.id() + (s.isVoter() ? "" : "~")).collect(Collectors.joining(" ", "[", "]"));
    }

    static String format(LogEntry e) {
        String what = switch (e.type()) {
            case COMMAND -> new String(e.data(), StandardCharsets.UTF_8);
            case NOOP -> "noop";
            case BARRIER -> "barrier";
            case RESTORE -> "restore(" + e.data().length + " bytes)";
            case CONFIGURATION -> "conf" + format(ConfigurationCodec.decode(e.data()));
        };
        return e.index() + "@" + e.term() + " " + what;
    }

    static String format(RaftMessage m) {
        String head = m.from() + "->" + m.to() + " ";
        return head + switch (m) {
            case AppendEntries a -> "App t" + a.term() + " prev=" + a.prevLogIndex() + "/" + a.prevLogTerm()
                    + " commit=" + a.leaderCommit()
                    + (a.entries().isEmpty() ? "" : " [" + a.entries().stream().map(ScriptCluster::format)
                    .collect(Collectors.joining(", ")) + "]");
            case AppendEntriesResponse r -> "AppResp t" + r.term() + (r.success()
                    ? " ok last=" + r.lastLogIndex()
                    : " reject prev=" + r.lastLogIndex() + " hint=" + r.conflictIndex() + "/" + r.conflictTerm());
            case RequestVote v -> (v.preVote() ? "PreVote" : "Vote") + " t" + v.term() + " last=" + v.lastLogIndex()
                    + "/" + v.lastLogTerm() + (v.leadershipTransfer() ? " transfer" : "");
            case RequestVoteResponse r -> (r.preVote() ? "PreVoteResp" : "VoteResp") + " t" + r.term()
                    + (r.granted() ? " granted" : " rejected");
            case InstallSnapshot s -> "Snap t" + s.term() + " index=" + s.meta().index() + "/" + s.meta().term()
                    + " conf=" + format(s.meta().configuration());
            case InstallSnapshotResponse r -> "SnapResp t" + r.term() + (r.success() ? " ok" : " rejected")
                    + " last=" + r.lastLogIndex();
            case TimeoutNow t -> "TimeoutNow t" + t.term();
            case dev.skiff.raft.message.ForwardedProposals p -> "Forward batch=" + p.epoch() + "/" + p.batchId() + " commands=" + p.commands().size();
            case dev.skiff.raft.message.ForwardedProposalsResponse r -> "ForwardResp batch=" + r.batchId()
                    + (r.firstIndex() == 0 ? " refused: " + r.refusal() : " first=" + r.firstIndex() + " t" + r.term());
            case dev.skiff.raft.message.ReadIndexRequest r -> "ReadIndex id=" + r.requestId() + (r.lease() ? " lease" : "");
            case dev.skiff.raft.message.ReadIndexResponse r -> "ReadIndexResp id=" + r.requestId() + " index=" + r.index();
        };
    }
}
