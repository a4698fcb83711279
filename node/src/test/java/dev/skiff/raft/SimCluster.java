package dev.skiff.raft;

import dev.skiff.raft.message.AppendEntries;
import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.RaftMessage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

/**
 * A seeded, single-threaded simulation of a cluster of real {@link RaftNode}s on a virtual clock
 * (microseconds): each node runs its production driver in a {@link SimRuntime}.
 *
 * <p>The network drops, delays, duplicates and reorders messages and can be partitioned; a
 * nemesis crashes and restarts servers (keeping only their stores, and of a write in progress a
 * random prefix; now and then also tearing off the newest log records, or wiping its log and own
 * snapshots, where a majority without the victim still holds what it loses), stalls whole processes, partitions the network, changes membership and
 * transfers leadership; clients send commands and reads ({@code consistent} and lease) to the
 * leader and to random servers through the {@link Raft} API. A third of the runs share one
 * snapshot store across the cluster (the S3 mode). After every loop run of a node the
 * invariants are checked: election safety, leader completeness, commit within the log,
 * committed entries durable on a majority, no matchIndex beyond the leader's log; log matching
 * periodically; state machine safety at every apply; read linearizability at every read. At the
 * end the faults stop and every member must converge to the same FSM state containing every
 * acknowledged command.
 *
 * <p>Same seed, same run: every random choice comes from seeded {@link SplittableRandom}s.
 */
final class SimCluster {

    private static final int POOL = 5;
    private static final int TRACE_LINES = 4000;
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(3);

    private record Event(long time, long seq, Runnable action) {
    }

    final long seed;
    final boolean verbose;
    final int snapshotThreshold;
    private final SplittableRandom random;
    /** Disk timings and crashes in mid-write: a generator of their own, so they do not shift the rest of a seed. */
    private final SplittableRandom diskRandom;
    /** Latencies of the nodes' own work (loop, FSM, I/O). */
    private final SplittableRandom workRandom;
    /** Per leader and term, the commit index whose durability was last checked. */
    private final Map<String, Long> checkedCommit = new HashMap<>();
    /** Per leader and term, the voters at the end of its previous loop run. */
    private final Map<String, List<Server>> votersBefore = new HashMap<>();
    private final RaftConfig config;
    private final boolean sharedSnapshots;
    private final PriorityQueue<Event> queue = new PriorityQueue<>(
            (a, b) -> a.time != b.time ? Long.compare(a.time, b.time) : Long.compare(a.seq, b.seq));
    private final Map<String, SimNode> nodes = new LinkedHashMap<>();
    private final Map<String, Double> clockRate = new HashMap<>();
    private final Map<String, String> lastRole = new HashMap<>();
    private final Deque<String> trace = new ArrayDeque<>();
    /** A run takes ~30,000 events; this many is a livelock, which would otherwise run forever. */
    private static final long MAX_EVENTS = 3_000_000;
    private String failure;
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
    private final Map<Long, Long> ackedCommands = new LinkedHashMap<>();
    private long maxAckedIndex;
    private long nextCommand = 1;
    long acks;
    long readsServed;
    /** Writes acknowledged by a follower (forwarded to the leader) and reads a follower served (read index from the leader). */
    long followerAcks;
    long followerReads;
    /** Where each client command was applied: a command forwarded by a follower must never be appended twice. */
    private final Map<Long, Long> commandIndexes = new HashMap<>();
    long stalls;
    /** Faults that took data off a node's disk: torn log tails and whole-disk losses. */
    long tornTails;
    long diskLosses;
    /** User restores applied (by the first node to apply each) and refused as bad snapshots. */
    long restores;
    long restoresRefused;
    private final Set<Long> restoreIndexes = new HashSet<>();
    /** Restores acknowledged to the client: index and the snapshot bytes, which the final log must hold there. */
    private final Map<Long, byte[]> ackedRestores = new LinkedHashMap<>();
    /** Nodes that lost their disk and are not yet full members again under their new log. */
    private final Set<SimNode> lostDisks = new HashSet<>();
    /** Until when a node's snapshot store (key "" for the one the cluster shares) answers no call. */
    private final Map<String, Long> storeHungUntil = new HashMap<>();
    long storeHangs;
    long twins;

    SimCluster(long seed, boolean verbose) {
        this.seed = seed;
        this.verbose = verbose;
        this.random = new SplittableRandom(seed);
        this.diskRandom = new SplittableRandom(~seed ^ 0xD15C);
        this.workRandom = new SplittableRandom(seed ^ 0x5EED_F00DL);
        this.snapshotThreshold = 20 + random.nextInt(60);
        this.sharedSnapshots = new SplittableRandom(seed * 31 + 7).nextInt(3) == 0;
        this.config = RaftConfig.defaults("sim")
                .withTimeouts(Duration.ofMillis(20), Duration.ofMillis(150), Duration.ofMillis(100))
                .withReplication(1 + random.nextInt(16), 64 * 1024, 1 + random.nextInt(8))
                .withSnapshots(Duration.ofMillis(50), snapshotThreshold, random.nextInt(3) == 0 ? 0 : random.nextInt(30))
                .validate();
    }

    // ---------------------------------------------------------------- running

    /** Runs {@code millis} of faults and load, then heals and checks convergence. */
    void run(long millis) {
        SnapshotStore shared = sharedSnapshots ? InMemorySnapshotStore.sharedByCluster(3) : null;
        for (int i = 1; i <= POOL; i++) {
            SimNode n = new SimNode("n" + i, shared != null ? shared : new InMemorySnapshotStore(2));
            nodes.put(n.id, n);
            // Clock rates differ by up to ±2%, as real oscillators (and VMs) do.
            clockRate.put(n.id, 1.0 + random.nextLong(-200, 201) / 10_000.0);
            start(n);
        }
        trace("snapshots " + (sharedSnapshots ? "shared by the cluster" : "per server") + ", threshold " + snapshotThreshold);
        // A third of the runs start with five voters: some histories (the paper's Figure 8)
        // need five. Drawn from its own generator so that three-voter seeds replay unchanged.
        boolean fiveVoters = new SplittableRandom(~seed).nextInt(3) == 0;
        List<String> founders = fiveVoters ? List.of("n1", "n2", "n3", "n4", "n5") : List.of("n1", "n2", "n3");
        Configuration initial = new Configuration(founders.stream().map(this::server).toList());
        for (String id : founders) {
            nodes.get(id).raft.bootstrapCluster(initial);
        }
        schedule(5_000, this::clientStep);
        schedule(100_000, this::nemesisStep);
        long end = millis * 1000;
        runUntil(end);

        // Heal and let the cluster converge: liveness after faults stop.
        faultsOn = false;
        partitioned.clear();
        storeHungUntil.clear();
        dropRate = 0;
        trace("-- faults stop, healing");
        for (SimNode n : nodes.values()) {
            if (!n.up()) {
                restart(n);
            } else if (n.runtime.stalled()) {
                n.runtime.resume();
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
            if (failure != null) {
                fail(failure);
            }
            if (events % 1024 == 0) {
                checkLogMatching();
            }
        }
        now = Math.max(now, time);
    }

    void schedule(long delay, Runnable action) {
        queue.add(new Event(now + delay, seq++, action));
    }

    long now() {
        return now;
    }

    private Server server(String id) {
        return Server.voter(id, nodes.get(id).address);
    }

    long events() {
        return events;
    }

    // ---------------------------------------------------------------- latencies of a node's own work

    long loopLatency() {
        return workRandom.nextLong(0, 30);
    }

    long taskLatency() {
        return workRandom.nextLong(5, 100);
    }

    /** A call to {@code n}'s snapshot store (on its I/O executor): mostly quick, sometimes a slow S3, and nothing while the store hangs. */
    long ioLatency(SimNode n) {
        long latency = workRandom.nextInt(20) == 0 ? workRandom.nextLong(50_000, 400_000) : workRandom.nextLong(200, 5_000);
        long hungUntil = storeHungUntil.getOrDefault(sharedSnapshots ? "" : n.id, 0L);
        return Math.max(latency, hungUntil - now + latency);
    }

    /** One log write and fsync: mostly a fraction of a millisecond, sometimes much longer (a slow fsync). */
    long diskLatency() {
        return diskRandom.nextInt(8) == 0 ? diskRandom.nextLong(2_000, 30_000) : diskRandom.nextLong(100, 2_000);
    }

    /**
     * Crash in the middle of a write, now and then: random crashes rarely hit the short window
     * in which a leader's entries are acknowledged by followers but not yet durable locally.
     */
    void maybeCrashDuringWrite(SimNode n, long writeTakes) {
        if (!faultsOn || diskRandom.nextInt(50) != 0) {
            return;
        }
        SimRuntime incarnation = n.runtime;
        schedule(diskRandom.nextLong(Math.max(1, writeTakes)), () -> {
            if (n.runtime == incarnation && n.up() && !incarnation.stalled()) {
                int queued = incarnation.queuedDiskWrites();
                trace("nemesis: crash " + n.id + " while its disk writes (" + queued + " queued)");
                crash(n, diskRandom.nextInt(queued + 1));
            }
        });
    }

    // ---------------------------------------------------------------- nodes and network

    private void start(SimNode n) {
        n.start(this, config, clockRate.get(n.id), random.nextLong());
    }

    private void crash(SimNode n, int durable) {
        n.crash(durable);
        schedule(random.nextLong(50_000, 2_000_000), () -> restart(n));
    }

    private void restart(SimNode n) {
        if (n.up()) {
            return;
        }
        trace(n.id + " restarts");
        start(n);
    }

    private boolean linkUp(String a, String b) {
        return partitioned.contains(a) == partitioned.contains(b);
    }

    private SimNode byAddress(String address) {
        for (SimNode n : nodes.values()) {
            if (n.address.equals(address)) {
                return n;
            }
        }
        return null;
    }

    /** A node's transport sends a message. */
    void send(SimNode from, String address, RaftMessage m) {
        SimNode target = byAddress(address);
        if (target == null || !target.id.equals(m.to())) {
            return;
        }
        if (!linkUp(from.id, target.id) || random.nextDouble() < dropRate) {
            return;
        }
        int copies = random.nextDouble() < duplicateRate ? 2 : 1;
        for (int i = 0; i < copies; i++) {
            schedule(delay(), () -> {
                if (verbose && target.up()) {
                    trace("deliver " + describe(m));
                }
                target.deliver(m);
            });
        }
    }

    /** A node's transport streams a snapshot (or, in the shared store, its reference). */
    CompletableFuture<Void> sendSnapshot(SimNode from, String address, InstallSnapshot header, OpenSnapshot open) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        SimNode target = byAddress(address);
        byte[] data;
        try (open) {
            data = open.data().readAllBytes();
        } catch (IOException e) {
            schedule(delay(), () -> result.completeExceptionally(e));
            return result;
        }
        if (target == null || !linkUp(from.id, target.id) || random.nextDouble() < dropRate) {
            schedule(delay(), () -> result.completeExceptionally(new IOException("snapshot transfer failed")));
            return result;
        }
        trace(from.id + " sends snapshot " + header.meta().index() + " to " + target.id
                + (header.inSharedStore() ? " by reference" : ""));
        schedule(delay() + 5_000, () -> {
            if (target.deliverSnapshot(header, data)) {
                result.complete(null);
            } else {
                result.completeExceptionally(new SnapshotRefusedException(target.id + " could not store the snapshot"));
            }
        });
        return result;
    }

    private long delay() {
        // Mostly fast, sometimes slow: reorders messages.
        return random.nextInt(10) == 0 ? random.nextLong(5_000, 40_000) : random.nextLong(200, 3_000);
    }

    // ---------------------------------------------------------------- clients

    /**
     * The server that believes it leads in the highest term, stalled or not: clients cannot tell
     * a paused leader from a slow one, so they keep sending to it, and their requests queue up.
     */
    private SimNode leader() {
        SimNode best = null;
        for (SimNode n : nodes.values()) {
            if (n.up() && n.raft.core().state() == RaftState.LEADER
                    && (best == null || n.raft.core().term() > best.raft.core().term())) {
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
        if (target == null || !target.up()) {
            return;
        }
        if (random.nextInt(4) == 0) {
            read(target, random.nextBoolean());
        } else {
            write(target);
        }
    }

    private void write(SimNode target) {
        long command = nextCommand++;
        long invokedAt = now;
        boolean viaFollower = target.raft.core().state() != RaftState.LEADER;
        target.raft.apply(ByteBuffer.allocate(8).putLong(command).array(), CLIENT_TIMEOUT).whenComplete((r, err) -> {
            if (err != null) {
                return;
            }
            ackedCommands.put(command, r.index());
            maxAckedIndex = Math.max(maxAckedIndex, r.index());
            acks++;
            if (viaFollower) {
                followerAcks++;
            }
            if (verbose) {
                trace("client: command " + command + " (sent at " + invokedAt + ") acknowledged at index " + r.index());
            }
        });
    }

    /**
     * A read must return state that includes every write acknowledged before it was sent: its
     * read index must, and so must the state it is served from (the node's applied state when the
     * barrier completes).
     */
    private void read(SimNode target, boolean lease) {
        long minIndex = maxAckedIndex;
        long invokedAt = now;
        RaftNode raft = target.raft;
        boolean viaFollower = raft.core().state() != RaftState.LEADER;
        CompletableFuture<Long> f = lease ? raft.leaseRead() : raft.readIndex();
        f.whenComplete((index, err) -> {
            if (err != null) {
                return;
            }
            long served = raft.appliedIndex();
            if (served < index) {
                failLater("linearizability: " + (lease ? "lease" : "ReadIndex") + " read at " + target.id + " invoked at "
                        + invokedAt + " completed with read index " + index + " while the node had applied only " + served);
            }
            if (index < minIndex) {
                failLater("linearizability: " + (lease ? "lease" : "ReadIndex") + " read at " + target.id + " invoked at "
                        + invokedAt + " returned state at index " + index + " but a write acknowledged before it is at index "
                        + minIndex);
            }
            readsServed++;
            if (viaFollower) {
                followerReads++;
            }
        });
    }

    /** Called by a node's FSM as it applies each committed command: the state machine safety oracle. */
    void applied(SimNode n, LogEntry e) {
        if (e.type() == LogType.RESTORE && e.data().length != 16 && restoreIndexes.add(e.index())) {
            restoresRefused++;
        }
        LogEntry known = committed.putIfAbsent(e.index(), e);
        if (known != null && !known.equals(e)) {
            fail("state machine safety: " + n.id + " applied " + e + " at " + e.index() + " but another server applied " + known);
        }
        if (e.type() == LogType.COMMAND && e.data().length == 8) {
            Long at = commandIndexes.putIfAbsent(ByteBuffer.wrap(e.data()).getLong(), e.index());
            if (at != null && at != e.index()) {
                fail("exactly once: command " + ByteBuffer.wrap(e.data()).getLong() + " applied at index " + at + " and again at "
                        + e.index());
            }
        }
    }

    // ---------------------------------------------------------------- nemesis

    private void nemesisStep() {
        if (!faultsOn) {
            return;
        }
        schedule(random.nextLong(50_000, 600_000), this::nemesisStep);
        SimNode leader = leader();
        switch (random.nextInt(10)) {
            case 0, 1 -> {
                SimNode victim = random.nextInt(3) == 0 && leader != null ? leader : pick(nodes.values());
                if (victim.up()) {
                    trace("nemesis: crash " + victim.id);
                    List<List<Server>> voterSets = knownVoterSets();
                    crash(victim, diskRandom.nextInt(victim.runtime.queuedDiskWrites() + 1));
                    switch (random.nextInt(8)) {
                        case 0, 1, 2 -> tearTail(victim, 1 + random.nextInt(3), voterSets);
                        case 3 -> loseDisk(victim, voterSets);
                        default -> {
                        }
                    }
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
                    List<Server> voters = leader.raft.core().configuration().voters();
                    String target = random.nextBoolean() ? null : pick(voters).id();
                    trace("nemesis: transfer leadership from " + leader.id + " to " + (target == null ? "best" : target));
                    if (target == null) {
                        leader.raft.leadershipTransfer();
                    } else {
                        leader.raft.leadershipTransferToServer(target, nodes.get(target).address);
                    }
                }
            }
            case 8 -> stall(random.nextInt(3) == 0 && leader != null ? leader : pick(nodes.values()));
            default -> {
                if (leader != null && random.nextInt(3) == 0) {
                    restore(leader);
                } else if (random.nextInt(4) == 0) {
                    twin(pick(nodes.values()));
                } else if (random.nextInt(3) == 0) {
                    hangSnapshotStore(random.nextInt(3) == 0 && leader != null ? leader : pick(nodes.values()));
                }
            }
        }
    }

    /**
     * A user restore at the leader, amid everything else: crashes, stalls, partitions and
     * leader changes can strike while it is read, replicated or applied. A tenth are not
     * snapshots at all (which every node must refuse alike). Either way every member ends with
     * the same state (the final check), and an acknowledged one is in the final log.
     */
    private void restore(SimNode leader) {
        boolean bad = random.nextInt(10) == 0;
        byte[] data = bad ? new byte[] {1, 2, 3} : ByteBuffer.allocate(16).putLong(random.nextLong(1_000))
                .putLong(random.nextLong()).array();
        trace("nemesis: user restore at " + leader.id + (bad ? " of a bad snapshot" : ""));
        leader.raft.restore(null, new java.io.ByteArrayInputStream(data), CLIENT_TIMEOUT).whenComplete((index, err) -> {
            if (err == null) {
                if (bad) {
                    failLater("a restore of a bad snapshot at " + leader.id + " succeeded at index " + index);
                }
                ackedRestores.put(index, data);
                maxAckedIndex = Math.max(maxAckedIndex, index);
                trace("client: restore acknowledged at index " + index);
            } else if (bad && err instanceof RestoreRefusedException refused) {
                trace("client: restore refused: " + refused.getMessage());
            }
        });
    }

    /**
     * The snapshot store stops answering for a while (an S3 outage, a black-holed connection
     * the SDK waits out): every call a node makes to it completes only after the hang, so
     * snapshot uploads, transfers to followers and restores queue up behind it. In the S3 mode
     * the whole cluster's store hangs at once.
     */
    private void hangSnapshotStore(SimNode victim) {
        long hang = random.nextLong(200_000, 5_000_000);
        String store = sharedSnapshots ? "" : victim.id;
        storeHungUntil.merge(store, now + hang, Math::max);
        storeHangs++;
        trace("nemesis: snapshot store of " + (sharedSnapshots ? "the cluster" : victim.id) + " hangs for " + hang / 1000 + " ms");
    }

    /** Called by a node's FSM once it loaded a user restore. */
    void restoreApplied(SimNode n, LogEntry e) {
        if (restoreIndexes.add(e.index())) {
            restores++;
        }
    }

    /**
     * Freezes a whole process (SIGSTOP, a long GC pause) while the others go on; often longer
     * than an election timeout, so that a stalled leader resumes into a cluster that has
     * elected another.
     */
    private void stall(SimNode victim) {
        if (!victim.up() || victim.runtime.stalled()) {
            return;
        }
        long pause = random.nextInt(3) == 0 ? random.nextLong(200_000, 2_000_000) : random.nextLong(20_000, 200_000);
        // Half the time the pause also cuts the process off from its peers (their connections
        // time out) while clients' requests still reach it: a resumed leader then hears of no
        // newer term before it handles what queued up.
        boolean isolated = partitioned.isEmpty() && random.nextBoolean();
        trace("nemesis: stall " + victim.id + " for " + pause / 1000 + " ms" + (isolated ? ", cut off from its peers" : ""));
        stalls++;
        SimRuntime incarnation = victim.runtime;
        incarnation.stall();
        if (isolated) {
            partitioned.add(victim.id);
        }
        schedule(pause, () -> {
            if (isolated) {
                partitioned.remove(victim.id);
            }
            if (incarnation.alive() && incarnation.stalled()) {
                trace("nemesis: " + victim.id + " resumes");
                incarnation.resume();
            }
        });
    }

    private void changeMembership(SimNode leader) {
        if (leader == null) {
            return;
        }
        Configuration c = leader.raft.core().configuration();
        List<String> pool = new ArrayList<>(nodes.keySet());
        String id = pool.get(random.nextInt(pool.size()));
        var existing = c.server(id);
        long prevIndex = random.nextInt(4) == 0 ? leader.raft.core().configurationIndex() : 0;
        String address = nodes.get(id).address;
        String what;
        if (existing.isEmpty()) {
            boolean voter = random.nextBoolean();
            what = voter ? "add voter" : "add nonvoter";
            if (voter) {
                leader.raft.addVoter(id, address, "", prevIndex, CLIENT_TIMEOUT);
            } else {
                leader.raft.addNonvoter(id, address, "", prevIndex, CLIENT_TIMEOUT);
            }
        } else if (!existing.get().isVoter()) {
            boolean remove = random.nextInt(3) == 0;
            what = remove ? "remove" : "promote";
            if (remove) {
                leader.raft.removeServer(id, prevIndex, CLIENT_TIMEOUT);
            } else {
                leader.raft.addVoter(id, address, "", prevIndex, CLIENT_TIMEOUT);
            }
        } else if (c.voters().size() >= 3 && random.nextBoolean()) {
            if (!intactMajorityWithout(c.voters(), id)) {
                // Like an operator who waits for a node that lost its disk to be repaired before
                // taking a voter away: otherwise the voters left could be a majority without data.
                return;
            }
            boolean remove = random.nextBoolean();
            what = remove ? "remove" : "demote";
            if (remove) {
                leader.raft.removeServer(id, prevIndex, CLIENT_TIMEOUT);
            } else {
                leader.raft.demoteVoter(id, prevIndex, CLIENT_TIMEOUT);
            }
        } else {
            return;
        }
        trace("nemesis: " + what + " " + id + " at " + leader.id);
    }

    private <T> T pick(java.util.Collection<T> items) {
        List<T> list = new ArrayList<>(items);
        return list.get(random.nextInt(list.size()));
    }

    // ---------------------------------------------------------------- invariants

    /** Checked after every loop run of a node. */
    void afterLoop(SimNode n) {
        var core = n.raft.core();
        String role = core.state() + " t" + core.term() + (core.leaderId() == null ? "" : " leader " + core.leaderId());
        if (!role.equals(lastRole.put(n.id, role))) {
            trace(n.id + " is " + role + ", voters " + core.configuration().voters().stream().map(Server::id).toList()
                    + " (config index " + core.configurationIndex() + ", last " + core.lastIndex() + ", commit "
                    + core.commitIndex() + ")");
        }
        if (core.state() == RaftState.LEADER) {
            String previous = leaderOfTerm.putIfAbsent(core.term(), n.id);
            if (previous != null && !previous.equals(n.id)) {
                fail("election safety: " + previous + " and " + n.id + " both leader in term " + core.term());
            }
            if (previous == null) {
                checkLeaderCompleteness(n);
            }
            for (var f : core.followers()) {
                if (f.matchIndex() > core.lastIndex()) {
                    fail("progress: " + n.id + " believes " + f.id() + " matches index " + f.matchIndex()
                            + ", beyond the leader's last index " + core.lastIndex());
                }
            }
            checkCommittedIsDurable(n);
        }
        if (core.commitIndex() > core.lastIndex()) {
            fail(n.id + " commit index " + core.commitIndex() + " beyond its last index " + core.lastIndex());
        }
    }

    /**
     * Durable before committed: when a leader's commit index moves, a majority of the voters
     * hold that entry in their stores (or in a snapshot). Checked on the stores, not on what the
     * cores believe, so a leader that counted its own entries before they were written (the
     * log writer, thesis §10.2.1) fails here at once, not only in the rare history in which a
     * crash then loses a committed entry.
     */
    private void checkCommittedIsDurable(SimNode leader) {
        var core = leader.raft.core();
        long c = core.commitIndex();
        String leadership = leader.id + "@" + core.term();
        List<Server> voters = core.configuration().voters();
        // A loop run handles a batch of events: the commit may have moved under the
        // configuration in effect before a membership change appended later in the same batch.
        List<Server> before = votersBefore.put(leadership, voters);
        // A new leader starts from a commit index it learned, decided under an older configuration.
        Long checked = checkedCommit.putIfAbsent(leadership, c);
        if (checked == null || c <= checked || c <= core.snapshotIndex()) {
            return;
        }
        checkedCommit.put(leadership, c);
        var entry = core.entry(c);
        if (entry.isEmpty()) {
            return;
        }
        long term = entry.get().term();
        if (!durableOnMajority(voters, c, term) && (before == null || !durableOnMajority(before, c, term))) {
            fail("durability: " + leader.id + " committed " + entry.get() + " but fewer than a majority of the voters "
                    + voters.stream().map(Server::id).toList() + " have it durably");
        }
    }

    /**
     * Every voter set some node may act on: a running node's latest and committed configuration,
     * and the configuration a node that is down will start with (the newest in its stored log or
     * snapshot). A stale node counts too: restarted, it may campaign under its old voter set
     * (seed 30023: a torn tail on a voter that a down node's stale set still needed).
     */
    private List<List<Server>> knownVoterSets() {
        List<List<Server>> sets = new ArrayList<>();
        for (SimNode n : nodes.values()) {
            if (n.up()) {
                sets.add(n.raft.core().configuration().voters());
                sets.add(n.raft.core().committedConfiguration().voters());
            } else {
                storedConfiguration(n).ifPresent(c -> sets.add(c.voters()));
            }
        }
        return sets;
    }

    /** The newest configuration in a node's stored log, else in its newest snapshot. */
    private static java.util.Optional<Configuration> storedConfiguration(SimNode n) {
        for (long i = n.logs.lastIndex(); i >= Math.max(1, n.logs.firstIndex()); i--) {
            var e = n.logs.getLog(i);
            if (e.isPresent() && e.get().type() == LogType.CONFIGURATION) {
                return java.util.Optional.of(ConfigurationCodec.decode(e.get().data()));
            }
        }
        try {
            return n.snapshots.list().stream().findFirst().map(SnapshotMeta::configuration);
        } catch (IOException e) {
            return java.util.Optional.empty();
        }
    }

    /**
     * Torn tail: a crashed node's disk loses its newest {@code k} log records (a disk that
     * acknowledged an fsync it had not done), when that is survivable: only if every record
     * lost is still durable on a majority of every known voter set without the victim. A disk
     * that lies on a majority loses committed entries under any Raft; one that lies on a
     * minority must not, and the leader must repair the victim although it had acknowledged
     * those records (issue #11: it used to probe the same index forever).
     */
    private void tearTail(SimNode victim, int k, List<List<Server>> voterSets) {
        long last = victim.logs.lastIndex();
        long keep = Math.max(victim.logs.firstIndex() - 1, last - k);
        if (last == 0 || keep >= last) {
            return;
        }
        for (long i = keep + 1; i <= last; i++) {
            long term = victim.logs.getLog(i).orElseThrow().term();
            for (List<Server> voters : voterSets) {
                if (!durableOnMajorityWithout(victim, voters, i, term)) {
                    return;
                }
            }
        }
        victim.logs.truncateSuffix(keep);
        tornTails++;
        trace("nemesis: torn tail on " + victim.id + ": log cut to " + keep + " (was " + last + ")");
    }

    /**
     * Disk loss of a minority: a crashed node restarts under the same id on an empty log with a
     * new incarnation, an empty stable store (or, half the time, its old term and vote, as with
     * a shared {@code --stable} store) and, unless the cluster shares one, an empty snapshot
     * store. Allowed while a majority of every known voter set keeps its disk, counting as lost
     * the nodes whose loss is still being repaired (the leader's committed configuration does
     * not record their current log yet, or only as staged), and only if
     * everything the victim held is durable on another voter of every known voter set. So a
     * committed entry may now live on a single node, and a voter that lost it may be asked for
     * its vote: only the incarnation check keeps it from electing a leader without that entry
     * (issue #11).
     */
    private void loseDisk(SimNode victim, List<List<Server>> voterSets) {
        if (!diskLossSurvivable(victim, voterSets)) {
            return;
        }
        diskLosses++;
        boolean keepStable = diskRandom.nextBoolean();
        victim.loseDisk(victim.id + "-disk" + diskLosses, keepStable, !sharedSnapshots);
        lostDisks.add(victim);
        trace("nemesis: disk loss on " + victim.id + ": empty log (incarnation " + victim.logs.incarnation() + ")"
                + (keepStable ? "" : ", empty stable store") + (sharedSnapshots ? "" : ", empty snapshot store"));
    }

    /**
     * Whether {@code victim} may lose its disk: a majority of every known voter set keeps its
     * own, and everything the victim holds is durable on another voter of every known voter set.
     * A founding member needs no recorded log (a founding configuration counts only founded
     * logs, and a replacement is never one); an added one must have been heard from
     * ({@link Incarnations#ADDED}).
     */
    private boolean diskLossSurvivable(SimNode victim, List<List<Server>> voterSets) {
        SimNode leader = leader();
        boolean added = leader == null || leader.raft.core().committedConfiguration().server(victim.id)
                .map(s -> s.incarnation().equals(Incarnations.ADDED)).orElse(false);
        if (added) {
            // A member added before the leader heard from it counts from any log until the
            // leader records one (within a tick): a loss inside that window cannot be told.
            return false;
        }
        for (List<Server> voters : voterSets) {
            if (intactVoters(voters, victim.id) < voters.size() / 2 + 1) {
                return false;
            }
        }
        for (long i = Math.max(1, victim.logs.firstIndex()); i <= victim.logs.lastIndex(); i++) {
            long term = victim.logs.getLog(i).orElseThrow().term();
            for (List<Server> voters : voterSets) {
                if (!durableOnAnotherVoter(victim, voters, i, term)) {
                    return false;
                }
            }
        }
        if (!sharedSnapshots) {
            try {
                for (SnapshotMeta meta : victim.snapshots.list()) {
                    for (List<Server> voters : voterSets) {
                        if (!durableOnAnotherVoter(victim, voters, meta.index(), meta.term())) {
                            return false;
                        }
                    }
                }
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }

    /**
     * A second process started under a running node's id and address (a replacement machine
     * while the old one still runs, say across a partition), on an empty disk that shares the
     * node's stable record. The address now reaches the new process; the old one keeps running
     * and sending with its old log until the record fences it (its next term or vote write) or
     * the nemesis kills it. For the cluster the old log is lost, so the same conditions as for a
     * disk loss apply.
     */
    private void twin(SimNode victim) {
        if (!victim.up() || victim.runtime.stalled()) {
            return;
        }
        if (!diskLossSurvivable(victim, knownVoterSets())) {
            return;
        }
        twins++;
        String incarnation = victim.id + "-twin" + twins;
        SimRuntime old = victim.startTwin(this, config, clockRate.get(victim.id), random.nextLong(), incarnation, !sharedSnapshots);
        lostDisks.add(victim);
        trace("nemesis: a second " + victim.id + " starts on an empty disk (incarnation " + incarnation
                + ") sharing its stable record; the old process still runs");
        schedule(random.nextLong(100_000, 3_000_000), () -> {
            if (old.alive()) {
                trace("nemesis: the old " + victim.id + " process is killed");
                old.kill(old.queuedDiskWrites());
            }
        });
    }

    /**
     * True unless the node lost its disk and the leader's committed configuration does not yet
     * record its new log as a full member (a staged voter has not caught up yet).
     */
    private boolean restored(SimNode n) {
        if (!lostDisks.contains(n)) {
            return true;
        }
        SimNode leader = leader();
        if (leader == null) {
            return false;
        }
        boolean done = leader.raft.core().committedConfiguration().server(n.id)
                .map(s -> s.incarnation().equals(n.logs.incarnation()) && s.suffrage() != Suffrage.STAGING)
                .orElse(true);
        if (done) {
            lostDisks.remove(n);
        }
        return done;
    }

    /** True if, without {@code leaving}, a majority of the remaining voters has not lost its disk since it last caught up. */
    private boolean intactMajorityWithout(List<Server> voters, String leaving) {
        long remaining = voters.stream().filter(v -> !v.id().equals(leaving)).count();
        return intactVoters(voters, leaving) >= remaining / 2 + 1;
    }

    /** How many of these voters, other than {@code excluded}, have not lost their disk since they last caught up. */
    private long intactVoters(List<Server> voters, String excluded) {
        for (SimNode n : nodes.values()) {
            restored(n);
        }
        return voters.stream().filter(v -> !v.id().equals(excluded) && !lostDisks.contains(nodes.get(v.id()))).count();
    }

    private boolean durableOnAnotherVoter(SimNode victim, List<Server> voters, long index, long term) {
        for (Server s : voters) {
            SimNode v = nodes.get(s.id());
            if (v != victim && (v.logs.getLog(index).map(e -> e.term() == term).orElse(false)
                    || snapshotCovers(v, index))) {
                return true;
            }
        }
        return false;
    }

    private boolean durableOnMajorityWithout(SimNode victim, List<Server> voters, long index, long term) {
        int durable = 0;
        for (Server s : voters) {
            SimNode v = nodes.get(s.id());
            if (v != victim && (v.logs.getLog(index).map(e -> e.term() == term).orElse(false)
                    || snapshotCovers(v, index))) {
                durable++;
            }
        }
        return durable * 2 > voters.size();
    }

    private boolean durableOnMajority(List<Server> voters, long index, long term) {
        int durable = 0;
        for (Server s : voters) {
            SimNode v = nodes.get(s.id());
            if (v.logs.getLog(index).map(e -> e.term() == term).orElse(false) || snapshotCovers(v, index)
                    || uncountedSinceLoss(s, v)) {
                durable++;
            }
        }
        return durable * 2 > voters.size();
    }

    /**
     * A voter that lost its disk after acknowledging (the leader cannot know before it hears
     * from the new log) still takes part in the majority that committed: its new log is not
     * counted in any vote or quorum, because the configuration records its old one, until it has
     * caught up again. So the entry stays on a majority of the voters that can be counted.
     */
    private boolean uncountedSinceLoss(Server member, SimNode v) {
        return lostDisks.contains(v) && !member.countsFrom(v.logs.incarnation());
    }

    private boolean snapshotCovers(SimNode v, long index) {
        try {
            return v.snapshots.list().stream().anyMatch(m -> m.index() >= index);
        } catch (IOException e) {
            return false;
        }
    }

    /** §5.4: a new leader's log holds every entry committed before its term. */
    private void checkLeaderCompleteness(SimNode n) {
        var core = n.raft.core();
        for (Map.Entry<Long, LogEntry> c : committed.entrySet()) {
            long index = c.getKey();
            if (index <= core.snapshotIndex()) {
                continue;
            }
            var mine = core.entry(index);
            if (mine.isEmpty() || mine.get().term() != c.getValue().term()) {
                fail("leader completeness: new leader " + n.id + " (term " + core.term() + ") lacks committed entry "
                        + c.getValue() + "; has " + mine.map(LogEntry::toString).orElse("nothing"));
            }
        }
    }

    /** §5.3 Log Matching: same index and term → identical logs up to there. */
    private void checkLogMatching() {
        List<SimNode> up = nodes.values().stream().filter(SimNode::up).toList();
        for (int i = 0; i < up.size(); i++) {
            for (int j = i + 1; j < up.size(); j++) {
                var a = up.get(i).raft.core();
                var b = up.get(j).raft.core();
                long lo = Math.max(Math.max(up.get(i).logs.firstIndex(), up.get(j).logs.firstIndex()), 1);
                long hi = Math.min(a.lastIndex(), b.lastIndex());
                boolean matched = false;
                for (long k = hi; k >= lo; k--) {
                    var ea = a.entry(k);
                    var eb = b.entry(k);
                    if (ea.isEmpty() || eb.isEmpty()) {
                        break;
                    }
                    if (!matched && ea.get().term() == eb.get().term()) {
                        matched = true;
                    }
                    if (matched && !ea.get().equals(eb.get())) {
                        fail("log matching: " + up.get(i).id + " and " + up.get(j).id + " share a later entry's term but differ at "
                                + k + ": " + ea.get() + " vs " + eb.get());
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
        var core = leader.raft.core();
        long target = core.lastIndex();
        if (core.commitIndex() != target) {
            return false;
        }
        for (Server s : core.configuration().servers()) {
            SimNode n = nodes.get(s.id());
            if (!n.up() || n.raft.appliedIndex() != target) {
                return false;
            }
        }
        return true;
    }

    private void checkFinalState() {
        for (Map.Entry<Long, byte[]> a : ackedRestores.entrySet()) {
            LogEntry e = committed.get(a.getKey());
            if (e == null || e.type() != LogType.RESTORE || !Arrays.equals(e.data(), a.getValue())) {
                fail("durability: the restore acknowledged at index " + a.getKey() + " is not in the final log");
            }
        }
        SimNode leader = leader();
        for (Server s : leader.raft.core().configuration().servers()) {
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

    /** Fails the run after the current event: for callers whose exceptions the node catches (observers). */
    void failLater(String message) {
        if (failure == null) {
            failure = message;
        }
    }

    void fail(String message) {
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
            sb.append(n.id).append(n.up() ? "" : "(down)");
            if (n.up()) {
                var core = n.raft.core();
                sb.append('[').append(core.state()).append(" t").append(core.term()).append(" last ")
                        .append(core.lastIndex()).append(" commit ").append(core.commitIndex()).append(" applied ")
                        .append(n.raft.appliedIndex()).append(" conf ")
                        .append(core.configuration().servers().stream().map(s -> s.id() + (s.isVoter() ? "" : "~")).toList())
                        .append(core.state() == RaftState.LEADER ? " " + core.progressView() : "")
                        .append(" runtime ").append(n.runtime.describe()).append(']');
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
