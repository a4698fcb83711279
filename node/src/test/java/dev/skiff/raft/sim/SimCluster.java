package dev.skiff.raft.sim;

import dev.skiff.raft.Configuration;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import dev.skiff.raft.OpenSnapshot;
import dev.skiff.raft.RaftConfig;
import dev.skiff.raft.RaftException;
import dev.skiff.raft.RaftState;
import dev.skiff.raft.Server;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.SnapshotSink;
import dev.skiff.raft.core.MembershipChange;
import dev.skiff.raft.core.Outbound;
import dev.skiff.raft.core.ReadState;
import dev.skiff.raft.message.AppendEntries;
import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.RaftMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A seeded, single-threaded simulation of a Raft cluster on a virtual clock (microseconds).
 *
 * <p>The network drops, delays, duplicates and reorders messages and can be partitioned; a
 * nemesis crashes and restarts servers (keeping only their stores), partitions the network,
 * changes membership and transfers leadership; clients propose commands and linearizable
 * reads. After every step the invariants of the Raft paper are checked (Figure 3): election
 * safety, leader completeness, state machine safety, and periodically log matching. At the end
 * the faults stop and every member must converge to the same FSM state containing every
 * acknowledged command.
 *
 * <p>Same seed, same run: every random choice comes from one {@link SplittableRandom}.
 */
final class SimCluster {

    private static final int POOL = 5;
    private static final int TRACE_LINES = 4000;

    private record Event(long time, long seq, Runnable action) {
    }

    private record Proposal(String node, long term, long commandId) {
    }

    private record PendingRead(String node, long invokedAt, long minIndex, boolean lease) {
    }

    final long seed;
    final boolean verbose;
    final int snapshotThreshold;
    private final SplittableRandom random;
    /** Disk timings and crashes in mid-write: a generator of their own, so they do not shift the rest of a seed. */
    private final SplittableRandom diskRandom;
    /** Per leader and term, the commit index whose durability was last checked. */
    private final Map<String, Long> checkedCommit = new HashMap<>();
    private final RaftConfig config;
    private final PriorityQueue<Event> queue = new PriorityQueue<>(
            (a, b) -> a.time != b.time ? Long.compare(a.time, b.time) : Long.compare(a.seq, b.seq));
    private final Map<String, SimNode> nodes = new LinkedHashMap<>();
    private final Map<String, Long> tickPeriod = new HashMap<>();
    private final Deque<String> trace = new ArrayDeque<>();
    /** A run takes ~8,000 events; this many is a livelock, which would otherwise run forever. */
    private static final long MAX_EVENTS = 2_000_000;
    private long now;
    private long seq;
    private long events;
    private boolean faultsOn = true;
    /** Clients pause now and then, so that liveness never depends on a steady stream of writes. */
    private boolean clientsQuiet;

    // Network.
    private double dropRate = 0.02;
    private final double duplicateRate = 0.01;
    private final Set<String> partitioned = new HashSet<>();

    // Oracle and clients.
    private final Map<Long, LogEntry> committed = new HashMap<>();
    private final Map<Long, String> leaderOfTerm = new HashMap<>();
    private final Map<String, Map<Long, Proposal>> proposals = new HashMap<>();
    private final Map<Long, Long> ackedCommands = new LinkedHashMap<>();
    private long maxAckedIndex;
    private final Map<Long, PendingRead> reads = new HashMap<>();
    private long nextCommand = 1;
    private long nextRead = 1;
    long acks;
    long readsServed;

    SimCluster(long seed, boolean verbose) {
        this.seed = seed;
        this.verbose = verbose;
        this.random = new SplittableRandom(seed);
        this.diskRandom = new SplittableRandom(~seed ^ 0xD15C);
        this.snapshotThreshold = 20 + random.nextInt(60);
        this.config = RaftConfig.defaults("sim")
                .withTimeouts(Duration.ofMillis(20), Duration.ofMillis(150), Duration.ofMillis(100))
                .withReplication(1 + random.nextInt(16), 64 * 1024, 1 + random.nextInt(8))
                .withSnapshots(Duration.ofSeconds(1), snapshotThreshold, random.nextInt(3) == 0 ? 0 : random.nextInt(30))
                .validate();
    }

    // ---------------------------------------------------------------- running

    /** Runs {@code millis} of faults and load, then heals and checks convergence. */
    void run(long millis) {
        for (int i = 1; i <= POOL; i++) {
            SimNode n = new SimNode("n" + i);
            nodes.put(n.id, n);
            // Clock rates differ by up to ±2%, as real oscillators (and VMs) do.
            tickPeriod.put(n.id, 10_000L + random.nextLong(-200, 201));
            n.start(config, random.nextLong());
        }
        // A third of the runs start with five voters: some histories (the paper's Figure 8)
        // need five. Drawn from its own generator so that three-voter seeds replay unchanged.
        boolean fiveVoters = new SplittableRandom(~seed).nextInt(3) == 0;
        List<String> founders = fiveVoters ? List.of("n1", "n2", "n3", "n4", "n5") : List.of("n1", "n2", "n3");
        Configuration initial = new Configuration(founders.stream().map(this::server).toList());
        for (String id : founders) {
            nodes.get(id).core.bootstrap(initial);
            nodes.get(id).process(this);
        }
        for (SimNode n : nodes.values()) {
            schedule(random.nextLong(tickPeriod.get(n.id)), () -> tick(n));
        }
        schedule(5_000, this::clientStep);
        schedule(100_000, this::nemesisStep);
        long end = millis * 1000;
        runUntil(end);

        // Heal and let the cluster converge: liveness after faults stop.
        faultsOn = false;
        partitioned.clear();
        dropRate = 0;
        trace("-- faults stop, healing");
        for (SimNode n : nodes.values()) {
            if (!n.up) {
                restart(n);
            }
        }
        long deadline = now + 60_000_000;
        while (now < deadline) {
            runUntil(now + 100_000);
            if (converged()) {
                break;
            }
        }
        if (!converged()) {
            throw new SimulationFailure("liveness: no convergence 60 s after faults stopped; " + describe());
        }
        checkLogMatching();
        checkFinalState();
    }

    private void runUntil(long time) {
        while (!queue.isEmpty() && queue.peek().time <= time) {
            Event e = queue.poll();
            now = e.time;
            if (++events > MAX_EVENTS) {
                fail("livelock: more than " + MAX_EVENTS + " events in one run (a message storm or a zero-delay loop)");
            }
            e.action.run();
            if (events % 512 == 0) {
                checkLogMatching();
            }
        }
        now = Math.max(now, time);
    }

    private void schedule(long delay, Runnable action) {
        queue.add(new Event(now + delay, seq++, action));
    }

    private Server server(String id) {
        return Server.voter(id, nodes.get(id).address);
    }

    long events() {
        return events;
    }

    // ---------------------------------------------------------------- nodes and network

    private void tick(SimNode n) {
        if (!n.up) {
            return;
        }
        n.core.tick();
        n.process(this);
        schedule(tickPeriod.get(n.id), () -> tick(n));
    }

    private void restart(SimNode n) {
        trace(n.id + " restarts");
        n.start(config, random.nextLong());
        n.process(this);
        schedule(random.nextLong(tickPeriod.get(n.id)), () -> tick(n));
    }

    private boolean linkUp(String a, String b) {
        return partitioned.contains(a) == partitioned.contains(b);
    }

    /** Called by a node's driver for each outbound message, after persisting. */
    void send(SimNode from, Outbound out) {
        String to = out.message().to();
        SimNode target = nodes.get(to);
        if (target == null || !target.address.equals(out.address())) {
            return;
        }
        if (out.message() instanceof InstallSnapshot header) {
            sendSnapshot(from, target, header);
            return;
        }
        if (!linkUp(from.id, to) || random.nextDouble() < dropRate) {
            return;
        }
        int copies = random.nextDouble() < duplicateRate ? 2 : 1;
        for (int i = 0; i < copies; i++) {
            RaftMessage m = out.message();
            schedule(delay(), () -> deliver(target, m));
        }
    }

    /**
     * Schedules the completion of the job just queued on {@code n}'s disk: one at a time, in
     * order, each taking mostly a fraction of a millisecond and sometimes much longer (a slow
     * fsync), so that followers often acknowledge entries before the leader has them durably.
     */
    void scheduleDiskWrite(SimNode n) {
        long took = diskRandom.nextInt(8) == 0 ? diskRandom.nextLong(2_000, 30_000) : diskRandom.nextLong(100, 2_000);
        long done = Math.max(now, n.diskBusyUntil) + took;
        n.diskBusyUntil = done;
        int incarnation = n.incarnation;
        schedule(done - now, () -> n.diskWriteDone(this, incarnation));
        if (faultsOn && diskRandom.nextInt(50) == 0) {
            // Crash in the middle of the write: random crashes rarely hit the short window in
            // which a leader's entries are acknowledged by followers but not yet durable locally.
            schedule(diskRandom.nextLong(done - now), () -> {
                if (n.up && n.incarnation == incarnation) {
                    trace("nemesis: crash " + n.id + " while its disk writes (" + n.disk.size() + " queued)");
                    n.crash(diskRandom.nextInt(n.disk.size() + 1));
                    schedule(random.nextLong(50_000, 2_000_000), () -> restart(n));
                }
            });
        }
    }

    private long delay() {
        // Mostly fast, sometimes slow: reorders messages.
        return random.nextInt(10) == 0 ? random.nextLong(5_000, 40_000) : random.nextLong(200, 3_000);
    }

    private void deliver(SimNode target, RaftMessage m) {
        if (!target.up) {
            return;
        }
        if (verbose) {
            trace("deliver " + describe(m));
        }
        target.core.step(m);
        target.process(this);
    }

    private void sendSnapshot(SimNode from, SimNode target, InstallSnapshot header) {
        byte[] data;
        try (OpenSnapshot open = from.snapshots.open(header.meta().id())) {
            data = open.data().readAllBytes();
        } catch (IOException e) {
            // Retention already deleted it: the leader retries with a newer one.
            schedule(delay(), () -> snapshotFailed(from, target.id));
            return;
        }
        trace(from.id + " sends snapshot " + header.meta().index() + " to " + target.id);
        if (!linkUp(from.id, target.id) || random.nextDouble() < dropRate) {
            schedule(delay(), () -> snapshotFailed(from, target.id));
            return;
        }
        schedule(delay() + 5_000, () -> {
            if (!target.up) {
                snapshotFailed(from, target.id);
                return;
            }
            try {
                SnapshotMeta meta = header.meta();
                SnapshotSink sink = target.snapshots.create(meta.index(), meta.term(), meta.configuration(),
                        meta.configurationIndex());
                sink.out().write(data);
                SnapshotMeta local = sink.commit();
                trace(target.id + " received snapshot " + local.index());
                target.core.snapshotReceived(header, local);
                target.process(this);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private void snapshotFailed(SimNode from, String peer) {
        if (from.up) {
            from.core.snapshotSendFailed(peer);
            from.process(this);
        }
    }

    // ---------------------------------------------------------------- clients

    private SimNode leader() {
        SimNode best = null;
        for (SimNode n : nodes.values()) {
            if (n.up && n.core.state() == RaftState.LEADER && (best == null || n.core.term() > best.core.term())) {
                best = n;
            }
        }
        return best;
    }

    private void clientStep() {
        if (!faultsOn) {
            return;
        }
        schedule(random.nextLong(1_000, 8_000), this::clientStep);
        if (random.nextInt(400) == 0) {
            clientsQuiet = !clientsQuiet;
            trace("clients " + (clientsQuiet ? "pause" : "resume"));
        }
        if (clientsQuiet) {
            return;
        }
        SimNode target = random.nextInt(5) == 0 ? pick(nodes.values()) : leader();
        if (target == null || !target.up) {
            return;
        }
        try {
            if (random.nextInt(4) == 0) {
                long id = nextRead++;
                boolean lease = random.nextBoolean();
                target.core.readIndex(id, lease);
                reads.put(id, new PendingRead(target.id, now, maxAckedIndex, lease));
            } else {
                long command = nextCommand++;
                long index = target.core.propose(LogType.COMMAND, ByteBuffer.allocate(8).putLong(command).array());
                proposals.computeIfAbsent(target.id, k -> new HashMap<>())
                        .put(index, new Proposal(target.id, target.core.term(), command));
                if (verbose) {
                    trace("client: command " + command + " proposed at " + target.id + " index " + index);
                }
            }
        } catch (RaftException e) {
            // Not the leader, or transferring: the client would retry elsewhere.
        }
        target.process(this);
    }

    /** Called by a node as it applies each committed entry: the state machine safety oracle. */
    void applied(SimNode n, LogEntry e) {
        LogEntry known = committed.putIfAbsent(e.index(), e);
        if (known != null && !known.equals(e)) {
            fail("state machine safety: " + n.id + " applied " + e + " at " + e.index() + " but another server applied " + known);
        }
        Map<Long, Proposal> mine = proposals.get(n.id);
        Proposal p = mine == null ? null : mine.remove(e.index());
        if (p != null && p.term() == e.term() && e.type() == LogType.COMMAND
                && ByteBuffer.wrap(e.data()).getLong() == p.commandId()) {
            ackedCommands.put(p.commandId(), e.index());
            maxAckedIndex = Math.max(maxAckedIndex, e.index());
            acks++;
        }
    }

    /** Answers reads whose index the node has applied: the linearizability check for reads. */
    void serveReads(SimNode n) {
        Iterator<ReadState> it = n.waitingReads.iterator();
        while (it.hasNext()) {
            ReadState rs = it.next();
            if (rs.index() > n.appliedIndex) {
                continue;
            }
            it.remove();
            PendingRead r = reads.remove(rs.requestId());
            if (r == null) {
                continue;
            }
            if (rs.index() < r.minIndex()) {
                fail("linearizability: " + (r.lease() ? "lease" : "ReadIndex") + " read at " + n.id
                        + " invoked at " + r.invokedAt() + " returned state at index " + rs.index()
                        + " but a write acknowledged before it is at index " + r.minIndex());
            }
            readsServed++;
        }
    }

    // ---------------------------------------------------------------- nemesis

    private void nemesisStep() {
        if (!faultsOn) {
            return;
        }
        schedule(random.nextLong(50_000, 600_000), this::nemesisStep);
        SimNode leader = leader();
        switch (random.nextInt(9)) {
            case 0, 1 -> {
                SimNode victim = random.nextInt(3) == 0 && leader != null ? leader : pick(nodes.values());
                if (victim.up) {
                    trace("nemesis: crash " + victim.id);
                    victim.crash(diskRandom.nextInt(victim.disk.size() + 1));
                    schedule(random.nextLong(50_000, 2_000_000), () -> restart(victim));
                }
            }
            case 2, 3 -> {
                if (partitioned.isEmpty()) {
                    List<String> ids = new ArrayList<>(nodes.keySet());
                    int size = 1 + random.nextInt(2);
                    for (int i = 0; i < size; i++) {
                        partitioned.add(ids.get(random.nextInt(ids.size())));
                    }
                    if (random.nextBoolean() && leader != null) {
                        partitioned.add(leader.id);
                    }
                    trace("nemesis: partition " + partitioned + " from the rest");
                    schedule(random.nextLong(50_000, 2_000_000), () -> {
                        partitioned.clear();
                        trace("nemesis: heal");
                    });
                }
            }
            case 4 -> {
                dropRate = 0.3;
                trace("nemesis: lossy network");
                schedule(random.nextLong(50_000, 500_000), () -> dropRate = 0.02);
            }
            case 5, 6 -> changeMembership(leader);
            case 7 -> {
                if (leader != null) {
                    String target = random.nextBoolean() ? null : pick(leader.core.configuration().voters()).id();
                    try {
                        leader.core.transferLeadership(target);
                        trace("nemesis: transfer leadership from " + leader.id + " to " + (target == null ? "best" : target));
                        leader.process(this);
                    } catch (RaftException e) {
                        trace("nemesis: transfer refused: " + e.getMessage());
                    }
                }
            }
            default -> {
            }
        }
    }

    private void changeMembership(SimNode leader) {
        if (leader == null) {
            return;
        }
        Configuration c = leader.core.configuration();
        List<String> pool = new ArrayList<>(nodes.keySet());
        String id = pool.get(random.nextInt(pool.size()));
        var existing = c.server(id);
        MembershipChange.Kind kind;
        if (existing.isEmpty()) {
            kind = random.nextBoolean() ? MembershipChange.Kind.ADD_NONVOTER : MembershipChange.Kind.ADD_VOTER;
        } else if (!existing.get().isVoter()) {
            kind = random.nextInt(3) == 0 ? MembershipChange.Kind.REMOVE : MembershipChange.Kind.ADD_VOTER;
        } else if (c.voters().size() >= 3 && random.nextBoolean()) {
            kind = random.nextBoolean() ? MembershipChange.Kind.REMOVE : MembershipChange.Kind.DEMOTE;
        } else {
            return;
        }
        try {
            long index = leader.core.changeMembership(new MembershipChange(kind, id, nodes.get(id).address, "",
                    random.nextInt(4) == 0 ? leader.core.configurationIndex() : 0));
            trace("nemesis: " + kind + " " + id + " at index " + index);
            leader.process(this);
        } catch (RaftException e) {
            trace("nemesis: membership change refused: " + e.getMessage());
        }
    }

    private <T> T pick(java.util.Collection<T> items) {
        List<T> list = new ArrayList<>(items);
        return list.get(random.nextInt(list.size()));
    }

    // ---------------------------------------------------------------- invariants

    /** Checked after every Ready a node carries out. */
    void checkInvariants(SimNode n) {
        if (n.core.state() == RaftState.LEADER) {
            String previous = leaderOfTerm.putIfAbsent(n.core.term(), n.id);
            if (previous != null && !previous.equals(n.id)) {
                fail("election safety: " + previous + " and " + n.id + " both leader in term " + n.core.term());
            }
            if (previous == null) {
                checkLeaderCompleteness(n);
            }
        }
        if (n.core.commitIndex() > n.core.lastIndex()) {
            fail(n.id + " commit index " + n.core.commitIndex() + " beyond its last index " + n.core.lastIndex());
        }
        if (n.core.state() == RaftState.LEADER) {
            checkCommittedIsDurable(n);
        }
    }

    /**
     * Durable before committed: when a leader's commit index moves, a majority of the voters
     * hold that entry in their stores (or in a snapshot). Checked on the stores, not on what the
     * cores believe, so a leader that counted its own entries before they were written (the
     * log writer's thread, thesis §10.2.1) fails here at once, not only in the rare history in
     * which a crash then loses a committed entry.
     */
    private void checkCommittedIsDurable(SimNode leader) {
        long c = leader.core.commitIndex();
        String leadership = leader.id + "@" + leader.core.term();
        // A new leader starts from a commit index it learned, decided under an older configuration.
        Long checked = checkedCommit.putIfAbsent(leadership, c);
        if (checked == null || c <= checked || c <= leader.core.snapshotIndex()) {
            return;
        }
        checkedCommit.put(leadership, c);
        var entry = leader.core.entry(c);
        if (entry.isEmpty()) {
            return;
        }
        long term = entry.get().term();
        List<Server> voters = leader.core.configuration().voters();
        int durable = 0;
        for (Server s : voters) {
            SimNode v = nodes.get(s.id());
            if (v.lastSnapshotIndex >= c || v.logs.getLog(c).map(e -> e.term() == term).orElse(false)) {
                durable++;
            }
        }
        if (durable * 2 <= voters.size()) {
            fail("durability: " + leader.id + " committed " + entry.get() + " but only " + durable + " of " + voters.size()
                    + " voters have it durably");
        }
    }

    /** §5.4: a new leader's log holds every entry committed before its term. */
    private void checkLeaderCompleteness(SimNode n) {
        for (Map.Entry<Long, LogEntry> c : committed.entrySet()) {
            long index = c.getKey();
            if (index <= n.core.snapshotIndex()) {
                continue;
            }
            var mine = n.core.entry(index);
            if (mine.isEmpty() || mine.get().term() != c.getValue().term()) {
                fail("leader completeness: new leader " + n.id + " (term " + n.core.term() + ") lacks committed entry "
                        + c.getValue() + "; has " + mine.map(LogEntry::toString).orElse("nothing"));
            }
        }
    }

    /** §5.3 Log Matching: same index and term → identical logs up to there. */
    private void checkLogMatching() {
        List<SimNode> up = nodes.values().stream().filter(x -> x.up).toList();
        for (int i = 0; i < up.size(); i++) {
            for (int j = i + 1; j < up.size(); j++) {
                SimNode a = up.get(i);
                SimNode b = up.get(j);
                long lo = Math.max(Math.max(a.logs.firstIndex(), b.logs.firstIndex()), 1);
                long hi = Math.min(a.core.lastIndex(), b.core.lastIndex());
                boolean matched = false;
                for (long k = hi; k >= lo; k--) {
                    var ea = a.core.entry(k);
                    var eb = b.core.entry(k);
                    if (ea.isEmpty() || eb.isEmpty()) {
                        break;
                    }
                    if (!matched && ea.get().term() == eb.get().term()) {
                        matched = true;
                    }
                    if (matched && !ea.get().equals(eb.get())) {
                        fail("log matching: " + a.id + " and " + b.id + " share a later entry's term but differ at " + k
                                + ": " + ea.get() + " vs " + eb.get());
                    }
                }
            }
        }
    }

    private boolean converged() {
        SimNode leader = leader();
        if (leader == null) {
            return false;
        }
        long target = leader.core.lastIndex();
        if (leader.core.commitIndex() != target) {
            return false;
        }
        for (Server s : leader.core.configuration().servers()) {
            SimNode n = nodes.get(s.id());
            if (!n.up || n.appliedIndex != target) {
                return false;
            }
        }
        return true;
    }

    private void checkFinalState() {
        SimNode leader = leader();
        for (Server s : leader.core.configuration().servers()) {
            SimNode n = nodes.get(s.id());
            if (n.fsm.count != leader.fsm.count || n.fsm.hash != leader.fsm.hash) {
                fail("FSM divergence: " + n.id + " has (" + n.fsm.count + ", " + n.fsm.hash + "), leader " + leader.id
                        + " has (" + leader.fsm.count + ", " + leader.fsm.hash + ")");
            }
        }
        for (Map.Entry<Long, Long> a : ackedCommands.entrySet()) {
            LogEntry e = committed.get(a.getValue());
            if (e == null || ByteBuffer.wrap(e.data()).getLong() != a.getKey()) {
                fail("durability: acknowledged command " + a.getKey() + " at index " + a.getValue() + " is not in the final log");
            }
        }
    }

    private void fail(String message) {
        throw new SimulationFailure("seed " + seed + " at t=" + now / 1000 + "." + String.format("%03d", now % 1000)
                + " ms: " + message);
    }

    // ---------------------------------------------------------------- tracing

    void trace(String line) {
        String stamped = String.format("%10.3f ms  %s", now / 1000.0, line);
        if (verbose) {
            System.out.println(stamped);
            return;
        }
        trace.addLast(stamped);
        if (trace.size() > TRACE_LINES) {
            trace.removeFirst();
        }
    }

    /** The last trace lines, for a failure report. */
    String traceTail() {
        return String.join("\n", trace);
    }

    private String describe() {
        StringBuilder sb = new StringBuilder();
        for (SimNode n : nodes.values()) {
            sb.append(n.id).append(n.up ? "" : "(down)");
            if (n.up) {
                sb.append('[').append(n.core.state()).append(" t").append(n.core.term()).append(" last ")
                        .append(n.core.lastIndex()).append(" commit ").append(n.core.commitIndex()).append(" applied ")
                        .append(n.appliedIndex).append(" conf ")
                        .append(n.core.configuration().servers().stream().map(s -> s.id() + (s.isVoter() ? "" : "~")).toList())
                        .append(n.core.state() == RaftState.LEADER ? " " + n.core.progressView() : "").append(']');
            }
            sb.append(' ');
        }
        return sb.toString();
    }

    private static String describe(RaftMessage m) {
        String base = m.getClass().getSimpleName() + " " + m.from() + "->" + m.to() + " t" + m.term();
        if (m instanceof AppendEntries a) {
            return base + " prev " + a.prevLogIndex() + "/" + a.prevLogTerm() + " n=" + a.entries().size()
                    + " commit " + a.leaderCommit();
        }
        return base + " " + Arrays.toString(new Object[] {m});
    }
}
