package dev.skiff.raft.core;

import dev.skiff.raft.CannotBootstrapException;
import dev.skiff.raft.Configuration;
import dev.skiff.raft.ConfigurationChangeException;
import dev.skiff.raft.ConfigurationCodec;
import dev.skiff.raft.LeadershipTransferException;
import dev.skiff.raft.LeadershipTransferInProgressException;
import dev.skiff.raft.Incarnations;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogStore;
import dev.skiff.raft.LogType;
import dev.skiff.raft.NotLeaderException;
import dev.skiff.raft.RaftConfig;
import dev.skiff.raft.RaftState;
import dev.skiff.raft.Server;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.Suffrage;
import dev.skiff.raft.message.AppendEntries;
import dev.skiff.raft.message.AppendEntriesResponse;
import dev.skiff.raft.message.ForwardedProposals;
import dev.skiff.raft.message.ForwardedProposalsResponse;
import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.InstallSnapshotResponse;
import dev.skiff.raft.message.RaftMessage;
import dev.skiff.raft.message.ReadIndexRequest;
import dev.skiff.raft.message.ReadIndexResponse;
import dev.skiff.raft.message.RequestVote;
import dev.skiff.raft.message.RequestVoteResponse;
import dev.skiff.raft.message.TimeoutNow;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToLongFunction;
import java.util.random.RandomGenerator;

/*
 * Implementation notes
 *
 * Determinism. RaftCore is the Raft protocol as a state machine (after etcd-io/raft): inputs
 * are method calls (tick, step, propose, ...), outputs are collected into a Ready. It has no
 * threads, no I/O other than reads of the LogStore it is given, no wall clock (time is a count
 * of tick() calls) and no randomness but the seeded generator it is given. Given the same
 * inputs it produces the same outputs, which is what makes the seeded simulation replayable.
 *
 * Concurrency. Not thread-safe: exactly one thread (RaftNode's loop, or the simulation) calls
 * it.
 *
 * Durability. The core never assumes a write happened until advance(ready) says so. Entries
 * appended by a leader count toward its own match index only after they are persisted;
 * followers answer AppendEntries in the Ready's messages, which the driver sends only after
 * persisting the same Ready's entries and hard state.
 *
 * Roles. FOLLOWER, PRE_CANDIDATE (pre-vote, thesis §9.6), CANDIDATE, LEADER. A leader tracks
 * a Progress per peer: PROBE (one append at a time until the logs match), REPLICATE
 * (pipelined, bounded by Inflights), SNAPSHOT (InstallSnapshot in flight).
 *
 * Reads. ReadIndex (thesis §6.4): a read records the commit index and a read sequence number
 * (readSeq) carried by the next heartbeat round; once a quorum has echoed that sequence, the
 * leader was leader when the read arrived. A follower's read-index request sent in the
 * leader's term stands for that follower's echo: where the two make a majority (3 voters), the
 * read needs no round. Lease reads skip the round while a quorum acknowledged a heartbeat sent
 * less than leaderLeaseTimeout ago; safe because voters that hear from a leader refuse other
 * candidates for an election timeout (check-quorum, thesis §6.2).
 *
 * References: [1] Ongaro & Ousterhout, "In Search of an Understandable Consensus Algorithm"
 * (the paper, §n); [2] Ongaro, "Consensus: Bridging Theory and Practice" (the thesis).
 */

/**
 * The Raft protocol as a deterministic state machine. See the implementation notes at the top
 * of the source file.
 *
 * <p>Not thread-safe: one thread drives it. Commands that need the leader throw
 * {@link NotLeaderException} (or another {@link dev.skiff.raft.RaftException}) synchronously;
 * everything else is reported through {@link #ready()}.
 */
public final class RaftCore {

    private enum Role { FOLLOWER, PRE_CANDIDATE, CANDIDATE, LEADER }

    /** A snapshot transfer that has not been answered is retried after this many election timeouts. */
    private static final int SNAPSHOT_RETRY_ELECTIONS = 20;

    /** A read waiting for a quorum round; {@code origin} is the follower that asked, or null for this server's own. */
    private record PendingRead(long requestId, long index, long seq, ReadOrigin origin) {
    }

    /** A read that waits for this new leader's first commit; {@code origin} as in {@link PendingRead}. */
    private record AwaitingRead(long requestId, boolean lease, ReadOrigin origin) {
    }

    /**
     * The follower a read index is for: it gets a {@link ReadIndexResponse} instead of a
     * {@link ReadState}. {@code incarnationInTerm} is the log it asked from if it asked in this
     * leader's term, else null ({@link #askerCompletesQuorum}).
     */
    private record ReadOrigin(String id, String address, long epoch, String incarnationInTerm) {
    }

    private final RaftConfig config;
    private final String id;
    private final String address;
    /** This server's {@link LogStore#incarnation()}, sent with every answer it gives. */
    /** This server's log incarnation; its founded form once it bootstraps ({@link Incarnations}). */
    private String incarnation;
    private boolean foundingPending;
    private final RandomGenerator random;
    private final RaftLog log;
    private final ConfigurationHistory configurations;

    // Persistent state (Figure 2).
    private long term;
    private String votedFor;
    private boolean hardStateDirty;

    // Volatile state.
    private Role role = Role.FOLLOWER;
    private String leaderId;
    private String leaderAddress;
    private long commitIndex;
    /** Last committed index handed to the driver for applying. */
    private long applyCursor;
    private long ticks;
    private int electionElapsed;
    private int randomizedElectionTimeout;
    private int heartbeatElapsed;
    private long lastLeaderContactTick = -1;
    private SnapshotMeta latestSnapshot;

    // Candidate state.
    private final Set<String> votesGranted = new HashSet<>();
    private final Set<String> votesRejected = new HashSet<>();

    // Leader state.
    private final Map<String, Progress> progress = new LinkedHashMap<>();
    private long selfMatch;
    private boolean committedInTerm;
    private long termStartIndex;
    private long readSeq;
    /** Tick at which each recent read sequence was sent, for leases; pruned by age. */
    private final TreeMap<Long, Long> readSeqSentTick = new TreeMap<>();
    private final Deque<PendingRead> pendingReads = new ArrayDeque<>();
    private final List<AwaitingRead> readsAwaitingTermCommit = new ArrayList<>();
    /** Forwarded batches already answered, kept across terms: a repeat must not be appended by a later leadership either. */
    private final SeenBatches seenBatches = new SeenBatches();
    private boolean readRoundNeeded;
    private boolean replicationNeeded;
    private boolean commitChanged;
    private String transferee;
    private int transferElapsed;
    /**
     * Set once this leader has sent TimeoutNow in its term: the target's election bypasses the
     * voters' lease (thesis §3.10), so this leader's lease can no longer be trusted.
     */
    private boolean leaseRevoked;

    // Output accumulated for the next Ready.
    private final Outbox outbox = new Outbox();
    private final List<ReadState> readStates = new ArrayList<>();
    private long resetLogTo;
    private long compactBefore;
    private SnapshotMeta restorePending;
    private boolean transferAborted;
    /** Set by the driver while a user restore or membership change waits: repairs must not get in first. */
    private boolean membershipRepairsHeld;
    /** Operator-relevant events the core saw since the last {@link #takeNotices()}. */
    private final List<String> notices = new ArrayList<>();
    private SoftState reportedSoftState;

    /**
     * Creates the core of a server from its durable state.
     *
     * @param config    validated settings
     * @param address   this server's transport address
     * @param storage   the log, read-only from here; it must agree with {@code snapshot}
     *                  (the driver resets a log that does not reach the snapshot)
     * @param hardState the persisted term and vote
     * @param snapshot  the newest local snapshot, or null; the FSM holds its state
     * @param random    seeded source of election-timeout jitter
     */
    public RaftCore(RaftConfig config, String address, LogStore storage, HardState hardState,
                    SnapshotMeta snapshot, RandomGenerator random) {
        this.config = config;
        this.id = config.localId();
        this.address = address;
        this.incarnation = storage.incarnation();
        this.random = random;
        this.term = hardState.term();
        this.votedFor = hardState.votedFor();
        long snapIndex = snapshot == null ? 0 : snapshot.index();
        this.log = new RaftLog(storage, snapIndex, snapshot == null ? 0 : snapshot.term());
        this.latestSnapshot = snapshot;
        this.configurations = snapshot == null
                ? new ConfigurationHistory(0, Configuration.EMPTY)
                : new ConfigurationHistory(snapshot.configurationIndex(), snapshot.configuration());
        this.commitIndex = snapIndex;
        this.applyCursor = snapIndex;
        // Configuration entries after the snapshot take effect as soon as they are in the log.
        for (long i = Math.max(log.firstIndex(), snapIndex + 1); i <= log.lastIndex(); ) {
            List<LogEntry> batch = log.entries(i, log.lastIndex(), 4L << 20);
            if (batch.isEmpty()) {
                break;
            }
            for (LogEntry e : batch) {
                if (e.type() == LogType.CONFIGURATION) {
                    configurations.append(e.index(), ConfigurationCodec.decode(e.data()));
                }
            }
            i = batch.get(batch.size() - 1).index() + 1;
        }
        resetElectionTimeout();
        this.reportedSoftState = softState();
    }

    // ---------------------------------------------------------------- queries

    /** The current role, as the public API names it. */
    public RaftState state() {
        return switch (role) {
            case FOLLOWER -> RaftState.FOLLOWER;
            case PRE_CANDIDATE, CANDIDATE -> RaftState.CANDIDATE;
            case LEADER -> RaftState.LEADER;
        };
    }

    /** The current term (§5.1). */
    public long term() {
        return term;
    }

    /** This server's log incarnation ({@link Incarnations}), as its answers carry it. */
    public String logIncarnation() {
        return incarnation;
    }

    /** The vote cast in the current term, or null. */
    public String votedFor() {
        return votedFor;
    }

    /** This server's id. */
    public String id() {
        return id;
    }

    /** The known leader's id, or null. */
    public String leaderId() {
        return leaderId;
    }

    /** The known leader's transport address, or null. */
    public String leaderAddress() {
        return leaderAddress;
    }

    /** The known leader as a {@link Server} (from the configuration when it is a member), or null. */
    public Server leader() {
        if (leaderId == null) {
            return null;
        }
        return configurations.latest().server(leaderId)
                .orElseGet(() -> new Server(leaderId, leaderAddress == null ? "?" : leaderAddress, Suffrage.VOTER, ""));
    }

    /** The highest index known to be committed (§5.3). */
    public long commitIndex() {
        return commitIndex;
    }

    /** The index of the last entry in the log (persisted or not). */
    public long lastIndex() {
        return log.lastIndex();
    }

    /** The term of the last entry in the log. */
    public long lastTerm() {
        return log.lastTerm();
    }

    /** The last index covered by the newest snapshot, or 0. */
    public long snapshotIndex() {
        return log.snapshotIndex();
    }

    /** The term of {@link #snapshotIndex()}, or 0. */
    public long snapshotTerm() {
        return log.snapshotTerm();
    }

    /** The newest local snapshot known to the core, or null. */
    public SnapshotMeta latestSnapshot() {
        return latestSnapshot;
    }

    /** The latest configuration, committed or not (thesis §4.1). */
    public Configuration configuration() {
        return configurations.latest();
    }

    /** The index of the entry that created {@link #configuration()}. */
    public long configurationIndex() {
        return configurations.latestIndex();
    }

    /** The newest committed configuration. */
    public Configuration committedConfiguration() {
        return configurations.committed();
    }

    /** Ticks since this server last heard from a leader (0 on a leader), or -1 if never. */
    public long ticksSinceLeaderContact() {
        if (role == Role.LEADER) {
            return 0;
        }
        return lastLeaderContactTick < 0 ? -1 : ticks - lastLeaderContactTick;
    }

    /** The log entry at {@code index}, if still available. Used by the driver and tests. */
    public java.util.Optional<LogEntry> entry(long index) {
        return log.entry(index);
    }

    /**
     * A leader's replication state per other member of the latest configuration, in
     * configuration order; empty on any other server. {@code ticksSinceContact} counts from the
     * last response the follower sent (or from when this leader started tracking it).
     */
    public List<FollowerProgress> followers() {
        if (role != Role.LEADER) {
            return List.of();
        }
        List<FollowerProgress> out = new ArrayList<>(progress.size());
        for (Server s : configurations.latest().servers()) {
            Progress pr = progress.get(s.id());
            if (pr != null) {
                out.add(new FollowerProgress(pr.id, s.isVoter(), pr.matchIndex, pr.nextIndex, ticks - pr.lastContactTick));
            }
        }
        return out;
    }

    /** A leader's view of each follower, for diagnostics and tests. */
    public Map<String, String> progressView() {
        Map<String, String> view = new LinkedHashMap<>();
        progress.forEach((k, v) -> view.put(k, v.toString()));
        return view;
    }

    // ---------------------------------------------------------------- inputs

    /**
     * Creates a new cluster's first configuration (hashicorp {@code BootstrapCluster}):
     * term 1 and a configuration entry at index 1.
     *
     * @throws CannotBootstrapException if this server has any state, or the configuration does
     *                                  not make it a voter
     */
    public void bootstrap(Configuration configuration) {
        if (term > 0 || log.lastIndex() > 0 || log.snapshotIndex() > 0) {
            throw new CannotBootstrapException("server " + id + " already has state (term " + term
                    + ", last index " + log.lastIndex() + "); bootstrap only a new server");
        }
        if (!configuration.isVoter(id)) {
            throw new CannotBootstrapException("bootstrap configuration must include this server (" + id + ") as a voter");
        }
        term = 1;
        hardStateDirty = true;
        incarnation = Incarnations.founded(incarnation);
        foundingPending = true;
        LogEntry first = new LogEntry(1, 1, LogType.CONFIGURATION, ConfigurationCodec.encode(configuration));
        log.append(List.of(first));
        configurations.append(1, configuration);
    }

    /** Advances the logical clock by one tick. */
    public void tick() {
        ticks++;
        if (role == Role.LEADER) {
            tickLeader();
        } else {
            electionElapsed++;
            if (electionElapsed >= randomizedElectionTimeout && promotable()) {
                campaign(config.preVote(), false);
            }
        }
    }

    private void tickLeader() {
        heartbeatElapsed++;
        electionElapsed++;
        if (electionElapsed >= config.electionTicks()) {
            electionElapsed = 0;
            if (config.checkQuorum() && !quorumActive()) {
                // Thesis §6.2: a leader that cannot reach a quorum steps down, so that clients
                // stop waiting on it and a lease it holds cannot be stale.
                becomeFollower(term, null);
                return;
            }
            progress.values().forEach(pr -> pr.recentActive = false);
        }
        if (transferee != null && ++transferElapsed >= config.electionTicks()) {
            transferee = null;
            transferAborted = true;
        }
        int staleAfter = Math.max(2 * config.heartbeatTicks(), config.electionTicks() / 2);
        for (Progress pr : progress.values()) {
            if (pr.mode == Progress.Mode.SNAPSHOT
                    && ++pr.snapshotTicks >= SNAPSHOT_RETRY_ELECTIONS * config.electionTicks()) {
                pr.becomeProbe();
                replicationNeeded = true;
            } else if (pr.mode == Progress.Mode.REPLICATE && pr.matchIndex < pr.nextIndex - 1
                    && ticks - pr.lastProgressTick > staleAfter) {
                // Appends unanswered for this long were probably lost (or their answers were);
                // if nothing follows them, no rejection will ever reveal the gap. Probe again.
                pr.becomeProbe();
                replicationNeeded = true;
            }
        }
        if (heartbeatElapsed >= config.heartbeatTicks()) {
            heartbeatElapsed = 0;
            readRoundNeeded = true;
        }
        pruneReadSeqTicks();
        reconcileMembership();
    }

    /** Handles a message from another server. */
    public void step(RaftMessage m) {
        if (!m.to().equals(id) || m.from().equals(id)) {
            return;
        }
        // A follower's forwarded work is not bound to a term: whoever leads now takes it, anyone
        // else refuses it. The answers are the node's business, not the core's.
        switch (m) {
            case ForwardedProposals p -> {
                acceptForwarded(p);
                return;
            }
            case ReadIndexRequest r -> {
                if (role == Role.LEADER) {
                    readIndexFor(r.requestId(), r.lease(),
                            new ReadOrigin(r.from(), r.fromAddress(), r.epoch(), r.term() == term ? r.incarnation() : null));
                } else {
                    send(r.fromAddress(), new ReadIndexResponse(term, id, address, r.from(), r.epoch(), r.requestId(), 0));
                }
                return;
            }
            case ForwardedProposalsResponse r -> {
                return;
            }
            case ReadIndexResponse r -> {
                return;
            }
            default -> {
            }
        }
        if (m.term() > term) {
            if (m instanceof RequestVote rv) {
                if (!rv.leadershipTransfer() && inLease()) {
                    // Thesis §6.2 / §4.2.3: while we hear from a current leader, ignore
                    // candidates, so a removed or partitioned server cannot disrupt the cluster.
                    return;
                }
                if (!rv.preVote()) {
                    becomeFollower(m.term(), null);
                }
            } else if (m instanceof RequestVoteResponse r && r.preVote() && r.granted()) {
                // A granted pre-vote carries the term we would campaign in; not a newer term.
            } else {
                boolean fromLeader = m instanceof AppendEntries || m instanceof InstallSnapshot || m instanceof TimeoutNow;
                becomeFollower(m.term(), fromLeader ? m.from() : null);
                if (fromLeader) {
                    leaderAddress = m.fromAddress();
                }
            }
        } else if (m.term() < term) {
            // §5.1: reject requests from stale terms, and tell the sender our term.
            switch (m) {
                case AppendEntries a -> send(a.fromAddress(), new AppendEntriesResponse(term, id, address, a.from(),
                        false, a.prevLogIndex(), 0, 0, a.readSeq(), incarnation));
                case RequestVote rv -> send(rv.fromAddress(), new RequestVoteResponse(term, id, address, rv.from(),
                        false, rv.preVote(), incarnation));
                default -> {
                }
            }
            return;
        }
        switch (m) {
            case AppendEntries a -> handleAppendEntries(a);
            case AppendEntriesResponse r -> handleAppendEntriesResponse(r);
            case RequestVote rv -> handleRequestVote(rv);
            case RequestVoteResponse r -> handleRequestVoteResponse(r);
            case InstallSnapshot s -> {
                // Snapshots arrive through snapshotReceived, after their data is stored.
            }
            case InstallSnapshotResponse r -> handleInstallSnapshotResponse(r);
            case TimeoutNow t -> {
                // Thesis §3.10: the leader asks us to take over; skip pre-vote.
                if (promotable()) {
                    campaign(false, true);
                }
            }
            case ForwardedProposals p -> {
                // Handled above.
            }
            case ForwardedProposalsResponse r -> {
                // Handled above.
            }
            case ReadIndexRequest r -> {
                // Handled above.
            }
            case ReadIndexResponse r -> {
                // Handled above.
            }
        }
    }

    /**
     * Appends a follower's forwarded commands as consecutive entries of this term and tells it
     * where, or tells it why not. Never appends a batch it refuses, so a refusal is final; a
     * batch seen before gets the same answer again (see {@link SeenBatches}).
     */
    private void acceptForwarded(ForwardedProposals p) {
        ForwardedProposalsResponse given = seenBatches.answerGiven(p.from(), p.epoch(), p.batchId());
        if (given != null) {
            // A repeat: the same answer again, never a second append.
            send(p.fromAddress(), given);
            return;
        }
        // A resent batch this server has no record of is new only to the leader of the term it
        // was sent in: the follower sends (and resends) to a leader it heard from in that term,
        // so this process has led the term since before the first copy could arrive, and it
        // remembers every batch it got since (within the window). Anywhere else (a restarted
        // process, another server, a later term) the first copy may have been appended.
        boolean leadsItsTerm = role == Role.LEADER && p.term() == term;
        if ((p.resent() && !leadsItsTerm) || !seenBatches.mayBeNew(p.from(), p.epoch(), p.batchId())) {
            // Sent before, and no record here, or too old to tell: it may have been appended
            // already, so neither append nor refuse it.
            return;
        }
        String refusal = role != Role.LEADER
                ? "not the leader" + (leaderId == null ? "" : "; the leader is " + leaderId)
                : transferee != null ? "the leader is handing leadership over" : "";
        if (!refusal.isEmpty()) {
            answerForwarded(p, new ForwardedProposalsResponse(term, id, address, p.from(), p.epoch(), p.batchId(), 0, refusal));
            return;
        }
        long first = log.lastIndex() + 1;
        List<LogEntry> entries = new ArrayList<>(p.commands().size());
        for (byte[] command : p.commands()) {
            entries.add(new LogEntry(first + entries.size(), term, LogType.COMMAND, command));
        }
        if (!entries.isEmpty()) {
            log.append(entries);
            replicationNeeded = true;
        }
        answerForwarded(p, new ForwardedProposalsResponse(term, id, address, p.from(), p.epoch(), p.batchId(), first, ""));
    }

    private void answerForwarded(ForwardedProposals p, ForwardedProposalsResponse answer) {
        seenBatches.remember(p.from(), p.epoch(), p.batchId(), answer);
        send(p.fromAddress(), answer);
    }

    /**
     * Proposes an entry on the leader and returns its index. It is persisted, replicated and
     * committed through later Readies.
     *
     * @throws NotLeaderException                    if this server is not the leader
     * @throws LeadershipTransferInProgressException while handing leadership over
     */
    public long propose(LogType type, byte[] data) {
        requireLeaderAcceptingWrites();
        long index = log.lastIndex() + 1;
        log.append(List.of(new LogEntry(index, term, type, data)));
        replicationNeeded = true;
        return index;
    }

    /**
     * Proposes a single-server membership change (thesis §4.1) and returns the index of its
     * configuration entry.
     *
     * @throws ConfigurationChangeException if another change is uncommitted, the leader has not
     *                                      committed in its term yet, {@code prevIndex} is stale,
     *                                      or the change would leave no voter
     */
    public long changeMembership(MembershipChange change) {
        requireLeaderAcceptingWrites();
        if (!configurations.latestCommitted()) {
            throw new ConfigurationChangeException("a configuration change is already in progress (index "
                    + configurations.latestIndex() + " is not committed yet)");
        }
        if (!committedInTerm) {
            // Needed for the safety of single-server changes across leader changes (see the
            // raft-dev "bug in single-server membership changes" fix: commit in-term first).
            throw new ConfigurationChangeException("the new leader has not committed an entry in its term yet; retry shortly");
        }
        if (change.prevIndex() != 0 && change.prevIndex() != configurations.latestIndex()) {
            throw new ConfigurationChangeException("configuration changed since index " + change.prevIndex()
                    + " (latest is " + configurations.latestIndex() + ")");
        }
        Configuration current = configurations.latest();
        var existing = current.server(change.id());
        // A member keeps its recorded incarnation (its votes still count only from that log),
        // and a staged member becomes a voter only when it has caught up.
        String known = existing.map(Server::incarnation).orElse(Incarnations.ADDED);
        Suffrage voter = existing.map(s -> s.suffrage() == Suffrage.STAGING).orElse(false) ? Suffrage.STAGING : Suffrage.VOTER;
        Configuration next = switch (change.kind()) {
            case ADD_VOTER -> current.with(new Server(change.id(), change.address(), voter, change.apiAddress(), known));
            case ADD_NONVOTER -> existing.isPresent() && existing.get().isVoter()
                    ? current
                    : current.with(new Server(change.id(), change.address(), Suffrage.NONVOTER, change.apiAddress(), known));
            case REMOVE -> current.without(change.id());
            case DEMOTE -> existing.map(s -> current.with(s.withSuffrage(Suffrage.NONVOTER))).orElse(current);
        };
        if (next.voters().isEmpty()) {
            throw new ConfigurationChangeException("the change would leave the cluster without voters");
        }
        return appendConfiguration(next);
    }

    private long appendConfiguration(Configuration next) {
        long index = log.lastIndex() + 1;
        log.append(List.of(new LogEntry(index, term, LogType.CONFIGURATION, ConfigurationCodec.encode(next))));
        configurations.append(index, next);
        // A server new to the configuration is probed from the configuration entry itself, so
        // it receives that entry even if nothing is proposed after it.
        syncProgressWithConfiguration(index);
        replicationNeeded = true;
        return index;
    }

    /**
     * Starts handing leadership to {@code targetId}, or to the most up-to-date voter when null
     * (thesis §3.10). New proposals are refused until the transfer ends.
     *
     * @throws LeadershipTransferException if there is no eligible voter
     */
    public void transferLeadership(String targetId) {
        requireLeader();
        if (transferee != null) {
            throw new LeadershipTransferInProgressException();
        }
        Progress target = null;
        if (targetId == null) {
            for (Progress pr : progress.values()) {
                if (countedVoter(pr.id, pr.logIncarnation) && (target == null || pr.matchIndex > target.matchIndex)) {
                    target = pr;
                }
            }
            if (target == null) {
                throw new LeadershipTransferException("no other voter to transfer leadership to");
            }
        } else {
            target = progress.get(targetId);
            if (target == null || !countedVoter(targetId, target.logIncarnation)) {
                throw new LeadershipTransferException("cannot transfer leadership to " + targetId + ": not a voter in the configuration");
            }
        }
        transferee = target.id;
        transferElapsed = 0;
        if (target.matchIndex == log.lastIndex()) {
            sendTimeoutNow(target);
        } else {
            replicationNeeded = true;
        }
    }

    /**
     * Asks for a linearizable read point. The answer arrives as a {@link ReadState} with this
     * request id once a quorum confirms this leader (or at once under a valid lease when
     * {@code lease} is set, or in a single-voter cluster).
     *
     * @throws NotLeaderException if this server is not the leader
     */
    public void readIndex(long requestId, boolean lease) {
        requireLeader();
        readIndexFor(requestId, lease, null);
    }

    /** {@link #readIndex} for this server ({@code origin} null) or for a follower that asked. */
    private void readIndexFor(long requestId, boolean lease, ReadOrigin origin) {
        if (!committedInTerm) {
            // Thesis §6.4 step 1: the commit index is only known to be current once the
            // leader has committed an entry of its own term.
            readsAwaitingTermCommit.add(new AwaitingRead(requestId, lease, origin));
            return;
        }
        if (onlyVoterIsSelf() || (lease && leaseValid()) || askerCompletesQuorum(origin)) {
            confirmRead(requestId, commitIndex, origin);
            return;
        }
        pendingReads.addLast(new PendingRead(requestId, commitIndex, readSeq + 1, origin));
        readRoundNeeded = true;
    }

    /**
     * True when this leader and the follower that asked for a read index make a majority of the
     * voters, and the follower asked in this term from a log that counts. Then the request is the
     * quorum round of thesis §6.4: when the follower sent it (after the read arrived) it had
     * voted in no later term, nor had this leader when it received it, so no later leader could
     * have been elected, let alone have committed anything, before the read arrived; and what
     * this leader committed by then is within its commit index now. Only an acknowledgement
     * from the log the leader last accepted answers from counts, as in the heartbeat round: a
     * follower that lost its data also lost the votes it cast.
     */
    private boolean askerCompletesQuorum(ReadOrigin origin) {
        if (origin == null || origin.incarnationInTerm() == null) {
            return false;
        }
        List<Server> voters = configurations.latest().voters();
        int confirmed = 0;
        for (Server s : voters) {
            if (s.id().equals(id)) {
                confirmed++;
            } else if (s.id().equals(origin.id())) {
                Progress pr = progress.get(s.id());
                if (counted(s, pr) && pr.logIncarnation.equals(origin.incarnationInTerm())) {
                    confirmed++;
                }
            }
        }
        return confirmed >= Quorum.majority(voters.size());
    }

    private void confirmRead(long requestId, long index, ReadOrigin origin) {
        if (origin == null) {
            readStates.add(new ReadState(requestId, index));
        } else {
            send(origin.address(), new ReadIndexResponse(term, id, address, origin.id(), origin.epoch(), requestId, index));
        }
    }

    /**
     * A snapshot of the local FSM was stored. The log before {@code meta.index() - trailingLogs}
     * can go.
     */
    public void snapshotSaved(SnapshotMeta meta) {
        if (latestSnapshot == null || meta.index() > latestSnapshot.index()) {
            latestSnapshot = meta;
        }
        long firstKept = meta.index() - config.trailingLogs() + 1;
        if (meta.index() > log.snapshotIndex() || firstKept > log.firstIndex()) {
            long keep = Math.max(firstKept, log.firstIndex());
            log.compactedTo(meta.index(), meta.term(), keep);
            if (firstKept > 1) {
                compactBefore = Math.max(compactBefore, firstKept);
            }
        }
    }

    /**
     * A snapshot store shared by the cluster (S3) holds {@code meta}, at or past this server's
     * latest snapshot, which is gone from the store: another member took it, and retention may already have deleted the older
     * ones this server knows. Adopted as if this server had taken it (so it is what a lagging
     * follower is sent), but only if this server has already handed every entry it covers to its
     * state machine: compacting entries not yet applied here would lose them.
     *
     * @return true if adopted
     */
    public boolean adoptSharedSnapshot(SnapshotMeta meta) {
        if (meta.index() > applyCursor || (latestSnapshot != null && (meta.index() < latestSnapshot.index()
                || meta.id().equals(latestSnapshot.id())))) {
            return false;
        }
        if (latestSnapshot != null && meta.index() == latestSnapshot.index()) {
            // Another member's snapshot of the same state: it replaces ours, which is gone.
            latestSnapshot = meta;
            return true;
        }
        snapshotSaved(meta);
        return true;
    }

    /**
     * A snapshot sent by a leader has been stored locally under {@code local} (§7
     * InstallSnapshot, receiver side).
     */
    public void snapshotReceived(InstallSnapshot header, SnapshotMeta local) {
        if (header.term() < term) {
            send(header.fromAddress(), new InstallSnapshotResponse(term, id, address, header.from(), false, log.lastIndex(),
                    incarnation));
            return;
        }
        if (header.term() > term || role != Role.FOLLOWER) {
            becomeFollower(header.term(), header.from());
        }
        heardFromLeader(header.from(), header.fromAddress());
        if (local.index() <= commitIndex) {
            // We already have this state (a duplicate or a slow retry). Only the committed
            // prefix is known to match the leader's log: a suffix past it may not.
            send(header.fromAddress(), new InstallSnapshotResponse(term, id, address, header.from(), true, commitIndex, incarnation));
            return;
        }
        boolean discarded = log.restore(local.index(), local.term());
        if (discarded) {
            resetLogTo = local.index() + 1;
            configurations.truncateAfter(local.index());
        }
        configurations.restore(local.index(), local.configurationIndex(), local.configuration());
        commitIndex = local.index();
        applyCursor = local.index();
        latestSnapshot = local;
        restorePending = local;
        send(header.fromAddress(), new InstallSnapshotResponse(term, id, address, header.from(), true, local.index(), incarnation));
    }

    /** Streaming a snapshot to {@code peerId} failed; retry after an election timeout. */
    public void snapshotSendFailed(String peerId) {
        Progress pr = progress.get(peerId);
        if (pr != null && pr.mode == Progress.Mode.SNAPSHOT) {
            pr.snapshotTicks = Math.max(pr.snapshotTicks,
                    (SNAPSHOT_RETRY_ELECTIONS - 1) * config.electionTicks());
        }
    }

    // ---------------------------------------------------------------- outputs

    /**
     * Events an operator should hear about (the core has no logger), as key=value text, oldest
     * first; the list is emptied. The driver logs them at WARN after each batch.
     */
    public List<String> takeNotices() {
        if (notices.isEmpty()) {
            return List.of();
        }
        List<String> taken = List.copyOf(notices);
        notices.clear();
        return taken;
    }

    /** True if {@link #ready()} has something to do. */
    public boolean hasReady() {
        return hardStateDirty || resetLogTo > 0 || log.lastIndex() > log.inProgressLastIndex() || !outbox.isEmpty()
                || commitIndex > applyCursor || restorePending != null || compactBefore > 0 || !readStates.isEmpty()
                || transferAborted || !softState().equals(reportedSoftState)
                || (role == Role.LEADER && (readRoundNeeded || replicationNeeded || commitChanged));
    }

    private long persistedIndex() {
        return log.stableLastIndex();
    }

    /**
     * Collects what the driver must do now, in order (see {@link Ready}). Must be followed by
     * {@link #advance(Ready)} once the driver has done it.
     */
    public Ready ready() {
        if (role == Role.LEADER) {
            flushLeaderMessages();
        }
        List<LogEntry> committed = List.of();
        if (commitIndex > applyCursor) {
            long to = Math.min(commitIndex, applyCursor + (long) config.maxApplyBatch() * 4);
            committed = log.entries(applyCursor + 1, to, 64L << 20);
            if (!committed.isEmpty()) {
                applyCursor = committed.get(committed.size() - 1).index();
            }
        }
        SoftState soft = softState();
        Ready ready = new Ready(
                hardStateDirty ? new HardState(term, votedFor) : null,
                resetLogTo,
                log.takeEntriesToPersist(),
                outbox.drain(),
                restorePending,
                committed,
                compactBefore,
                List.copyOf(readStates),
                soft.equals(reportedSoftState) ? null : soft,
                transferAborted,
                foundingPending);
        foundingPending = false;
        hardStateDirty = false;
        resetLogTo = 0;
        restorePending = null;
        compactBefore = 0;
        readStates.clear();
        reportedSoftState = soft;
        transferAborted = false;
        return ready;
    }

    /**
     * The driver has carried out {@code ready}: its entries are durable. A driver that writes
     * entries on another thread (a leader, thesis §10.2.1) calls this when the write has
     * completed, possibly after later Readies were handed out; the entries of successive
     * Readies must reach the disk in the order the Readies were handed out. Until then the
     * leader does not count itself toward their quorum.
     */
    public void advance(Ready ready) {
        if (!ready.entries().isEmpty()) {
            LogEntry last = ready.entries().get(ready.entries().size() - 1);
            log.stableTo(last.index(), last.term());
            if (role == Role.LEADER && last.term() == term) {
                selfMatch = Math.max(selfMatch, last.index());
                maybeCommit();
            }
        }
    }

    // ---------------------------------------------------------------- roles

    private SoftState softState() {
        return new SoftState(state(), term, leaderId, leaderAddress);
    }

    private boolean promotable() {
        return countedVoter(id, incarnation);
    }

    /**
     * True if {@code serverId} is a voter of the latest configuration and answers from a log
     * with {@code logIncarnation} count as its own: a server that lost its log (a wiped data
     * directory) must not be counted in a vote or a quorum for entries it no longer holds.
     */
    private boolean countedVoter(String serverId, String logIncarnation) {
        return configurations.latest().server(serverId)
                .map(s -> s.isVoter() && s.countsFrom(logIncarnation))
                .orElse(false);
    }

    /** True if this voter's acknowledgements (matchIndex, read sequence, contact) count in a quorum. */
    private boolean counted(Server voter, Progress pr) {
        return pr != null && pr.logIncarnation != null && voter.countsFrom(pr.logIncarnation);
    }

    /**
     * True while this server must refuse candidates (thesis §6.2 / §4.2.3): it heard from a
     * leader within an election timeout, or it started less than an election timeout ago and so
     * cannot know whether it had (a restarted voter must not help depose a leader whose lease it
     * supported before the crash).
     */
    private boolean inLease() {
        return config.checkQuorum()
                && ((leaderId != null && electionElapsed < config.electionTicks()) || ticks < config.electionTicks());
    }

    private void resetElectionTimeout() {
        int base = config.electionTicks();
        randomizedElectionTimeout = base + random.nextInt(base);
    }

    private void becomeFollower(long newTerm, String leader) {
        if (newTerm != term) {
            term = newTerm;
            votedFor = null;
            hardStateDirty = true;
        }
        role = Role.FOLLOWER;
        leaderId = leader;
        leaderAddress = null;
        electionElapsed = 0;
        resetElectionTimeout();
        resetLeaderState();
    }

    private void resetLeaderState() {
        progress.clear();
        // Followers waiting for a read index hear at once that this server cannot give one.
        for (PendingRead r : pendingReads) {
            if (r.origin() != null) {
                confirmRead(r.requestId(), 0, r.origin());
            }
        }
        for (AwaitingRead r : readsAwaitingTermCommit) {
            if (r.origin() != null) {
                confirmRead(r.requestId(), 0, r.origin());
            }
        }
        pendingReads.clear();
        readsAwaitingTermCommit.clear();
        readSeqSentTick.clear();
        if (transferee != null) {
            transferee = null;
        }
        readRoundNeeded = false;
        replicationNeeded = false;
        commitChanged = false;
        committedInTerm = false;
    }

    private void heardFromLeader(String leader, String leaderAddr) {
        leaderId = leader;
        leaderAddress = leaderAddr;
        electionElapsed = 0;
        lastLeaderContactTick = ticks;
    }

    private void campaign(boolean preVote, boolean transfer) {
        votesGranted.clear();
        votesRejected.clear();
        long campaignTerm;
        if (preVote) {
            // Thesis §9.6: ask first whether we could win, without disturbing anyone's term.
            role = Role.PRE_CANDIDATE;
            campaignTerm = term + 1;
        } else {
            // §5.2: increment currentTerm, vote for self.
            role = Role.CANDIDATE;
            term++;
            votedFor = id;
            hardStateDirty = true;
            campaignTerm = term;
        }
        leaderId = null;
        leaderAddress = null;
        electionElapsed = 0;
        resetElectionTimeout();
        resetLeaderState();
        votesGranted.add(id);
        if (tally() == Quorum.VoteResult.WON) {
            if (preVote) {
                campaign(false, transfer);
            } else {
                becomeLeader();
            }
            return;
        }
        for (Server s : configurations.latest().voters()) {
            if (!s.id().equals(id)) {
                send(s.address(), new RequestVote(campaignTerm, id, address, s.id(), log.lastIndex(), log.lastTerm(),
                        preVote, transfer));
            }
        }
    }

    private Quorum.VoteResult tally() {
        List<String> voters = configurations.latest().voters().stream().map(Server::id).toList();
        return Quorum.tally(voters, votesGranted, votesRejected);
    }

    private void becomeLeader() {
        role = Role.LEADER;
        leaderId = id;
        leaderAddress = address;
        heartbeatElapsed = 0;
        electionElapsed = 0;
        transferee = null;
        leaseRevoked = false;
        progress.clear();
        selfMatch = persistedIndex();
        syncProgressWithConfiguration(log.lastIndex() + 1);
        for (Progress pr : progress.values()) {
            pr.recentActive = true;
            pr.lastContactTick = ticks;
        }
        // §5.4.2 / §8: a new leader commits entries of earlier terms only by committing one of
        // its own, so it appends a no-op at once.
        termStartIndex = log.lastIndex() + 1;
        log.append(List.of(LogEntry.of(termStartIndex, term, LogType.NOOP)));
        committedInTerm = false;
        replicationNeeded = true;
    }

    private void syncProgressWithConfiguration(long nextIndexForNew) {
        Configuration latest = configurations.latest();
        progress.keySet().removeIf(peer -> latest.server(peer).isEmpty());
        for (Server s : latest.servers()) {
            if (s.id().equals(id)) {
                continue;
            }
            Progress pr = progress.get(s.id());
            if (pr == null) {
                pr = new Progress(s.id(), s.address(), nextIndexForNew, config.maxInflightAppends());
                pr.recentActive = true;
                pr.lastContactTick = ticks;
                progress.put(s.id(), pr);
            } else {
                pr.address = s.address();
            }
        }
        if (transferee != null && !progress.containsKey(transferee)) {
            transferee = null;
            transferAborted = true;
        }
    }

    private void requireLeader() {
        if (role != Role.LEADER) {
            throw new NotLeaderException(leader());
        }
    }

    private void requireLeaderAcceptingWrites() {
        requireLeader();
        if (transferee != null) {
            throw new LeadershipTransferInProgressException();
        }
    }

    private boolean onlyVoterIsSelf() {
        List<Server> voters = configurations.latest().voters();
        return voters.size() == 1 && voters.get(0).id().equals(id);
    }

    private boolean quorumActive() {
        Set<String> active = new HashSet<>();
        active.add(id);
        for (Server s : configurations.latest().voters()) {
            Progress pr = progress.get(s.id());
            if (pr != null && pr.recentActive && counted(s, pr)) {
                active.add(pr.id);
            }
        }
        List<String> voters = configurations.latest().voters().stream().map(Server::id).toList();
        long count = voters.stream().filter(active::contains).count();
        return voters.isEmpty() || count >= Quorum.majority(voters.size());
    }

    // ---------------------------------------------------------------- votes

    private void handleRequestVote(RequestVote m) {
        // §5.2, §5.4.1: grant if we have not voted for someone else in this term and the
        // candidate's log is at least as up-to-date as ours.
        boolean canVote = m.from().equals(votedFor)
                || (votedFor == null && leaderId == null)
                || (m.preVote() && m.term() > term);
        if (canVote && log.isUpToDate(m.lastLogIndex(), m.lastLogTerm())) {
            if (m.preVote()) {
                send(m.fromAddress(), new RequestVoteResponse(m.term(), id, address, m.from(), true, true, incarnation));
            } else {
                electionElapsed = 0;
                votedFor = m.from();
                hardStateDirty = true;
                send(m.fromAddress(), new RequestVoteResponse(term, id, address, m.from(), true, false, incarnation));
            }
        } else {
            send(m.fromAddress(), new RequestVoteResponse(term, id, address, m.from(), false, m.preVote(), incarnation));
        }
    }

    private void handleRequestVoteResponse(RequestVoteResponse m) {
        boolean relevant = (role == Role.PRE_CANDIDATE && m.preVote())
                || (role == Role.CANDIDATE && !m.preVote() && m.term() == term);
        if (!relevant || !countedVoter(m.from(), m.incarnation())) {
            // An answer from a log the configuration does not record for its sender (it lost
            // its data since) is not that member's vote.
            return;
        }
        if (m.granted()) {
            votesGranted.add(m.from());
        } else {
            votesRejected.add(m.from());
        }
        switch (tally()) {
            case WON -> {
                if (role == Role.PRE_CANDIDATE) {
                    campaign(false, false);
                } else {
                    becomeLeader();
                }
            }
            case LOST -> becomeFollower(term, null);
            case PENDING -> {
            }
        }
    }

    // ---------------------------------------------------------------- replication: follower

    private void handleAppendEntries(AppendEntries m) {
        if (role != Role.FOLLOWER) {
            becomeFollower(term, m.from());
        }
        heardFromLeader(m.from(), m.fromAddress());
        long prevIndex = m.prevLogIndex();
        long prevTerm = m.prevLogTerm();
        List<LogEntry> entries = m.entries();
        if (prevIndex < commitIndex) {
            // Entries up to our commit index are known to match the leader's (§5.4 leader
            // completeness): skip them and check from the commit index instead.
            int skip = (int) Math.min(entries.size(), commitIndex - prevIndex);
            entries = entries.subList(skip, entries.size());
            prevIndex = commitIndex;
            prevTerm = log.term(commitIndex);
            if (entries.isEmpty()) {
                send(m.fromAddress(), new AppendEntriesResponse(term, id, address, m.from(), true,
                        commitIndex, 0, 0, m.readSeq(), incarnation));
                return;
            }
        }
        // §5.3: reply false if the log doesn't contain an entry at prevLogIndex whose term
        // matches prevLogTerm.
        if (!log.matchTerm(prevIndex, prevTerm)) {
            long conflictTerm;
            long conflictIndex;
            if (prevIndex > log.lastIndex()) {
                conflictTerm = 0;
                conflictIndex = log.lastIndex() + 1;
            } else {
                conflictTerm = Math.max(0, log.term(prevIndex));
                conflictIndex = prevIndex;
                // Fast back-off: report the first index of the conflicting term.
                while (conflictIndex - 1 > commitIndex && conflictIndex - 1 >= log.firstIndex()
                        && log.term(conflictIndex - 1) == conflictTerm) {
                    conflictIndex--;
                }
            }
            send(m.fromAddress(), new AppendEntriesResponse(term, id, address, m.from(), false, m.prevLogIndex(),
                    conflictIndex, conflictTerm, m.readSeq(), incarnation));
            return;
        }
        // §5.3: if an existing entry conflicts with a new one (same index, different term),
        // delete it and all that follow; append entries not already in the log.
        int firstNew = entries.size();
        for (int i = 0; i < entries.size(); i++) {
            LogEntry e = entries.get(i);
            if (!log.matchTerm(e.index(), e.term())) {
                firstNew = i;
                break;
            }
        }
        if (firstNew < entries.size()) {
            LogEntry first = entries.get(firstNew);
            if (first.index() <= log.lastIndex()) {
                if (first.index() <= commitIndex) {
                    throw new IllegalStateException("leader " + m.from() + " tried to overwrite committed entry "
                            + first.index() + " (commit index " + commitIndex + ")");
                }
                log.truncateAfter(first.index() - 1);
                configurations.truncateAfter(first.index() - 1);
            }
            List<LogEntry> toAppend = entries.subList(firstNew, entries.size());
            log.append(toAppend);
            for (LogEntry e : toAppend) {
                if (e.type() == LogType.CONFIGURATION) {
                    configurations.append(e.index(), ConfigurationCodec.decode(e.data()));
                }
            }
        }
        long lastNew = prevIndex + entries.size();
        // §5.3: if leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new entry).
        commitTo(Math.min(m.leaderCommit(), lastNew));
        send(m.fromAddress(), new AppendEntriesResponse(term, id, address, m.from(), true, lastNew, 0, 0, m.readSeq(),
                incarnation));
    }

    private void commitTo(long index) {
        if (index > commitIndex) {
            commitIndex = index;
            configurations.commitTo(index);
        }
    }

    // ---------------------------------------------------------------- replication: leader

    private void handleAppendEntriesResponse(AppendEntriesResponse m) {
        if (role != Role.LEADER) {
            return;
        }
        Progress pr = progress.get(m.from());
        if (pr == null || !acceptAnswerFrom(pr, m.incarnation())) {
            return;
        }
        pr.recentActive = true;
        pr.lastContactTick = ticks;
        if (m.readSeq() > pr.ackedReadSeq) {
            pr.ackedReadSeq = m.readSeq();
            releaseConfirmedReads();
        }
        if (!m.success()) {
            handleRejection(pr, m);
            return;
        }
        if (pr.maybeUpdate(m.lastLogIndex())) {
            pr.lastProgressTick = ticks;
            pr.matchKnownAtReadSeq = readSeq;
            switch (pr.mode) {
                case PROBE -> {
                    pr.becomeReplicate();
                    pr.lastProgressTick = ticks;
                }
                case SNAPSHOT -> {
                    if (pr.matchIndex >= pr.pendingSnapshotIndex) {
                        pr.becomeProbe();
                    }
                }
                case REPLICATE -> pr.inflights.freeUpTo(m.lastLogIndex());
            }
            maybeCommit();
            if (role != Role.LEADER) {
                return;
            }
            if (pr.id.equals(transferee) && pr.matchIndex == log.lastIndex()) {
                sendTimeoutNow(pr);
            }
        } else if (pr.mode == Progress.Mode.REPLICATE) {
            pr.inflights.freeUpTo(m.lastLogIndex());
            if (pr.inflights.full()) {
                // An answer that does not move matchIndex (a heartbeat's): the follower is
                // alive but our appends' answers may be lost; let one more through.
                pr.inflights.freeFirstOne();
            }
        } else if (pr.mode == Progress.Mode.PROBE) {
            pr.probeSent = false;
        }
        sendAppends(pr, false);
    }

    /**
     * Notes the log incarnation a follower answers from, and whether its answer may update its
     * progress: only when the configuration records that incarnation for it (or none yet). A
     * follower whose log changed (its data directory was wiped or replaced) starts from
     * nothing: what it acknowledged before is gone, and {@link #reconcileMembership} stages it.
     */
    private boolean acceptAnswerFrom(Progress pr, String logIncarnation) {
        pr.announcedIncarnation = logIncarnation;
        Server member = configurations.latest().server(pr.id).orElse(null);
        if (member == null || !member.countsFrom(logIncarnation)) {
            return false;
        }
        if (pr.logIncarnation != null && !pr.logIncarnation.equals(logIncarnation)) {
            notices.add("follower answers from a new log (its data directory was replaced): what it acknowledged "
                    + "before no longer counts; replicating to it from the start follower=" + pr.id
                    + " matchIndex=" + pr.matchIndex);
            pr.matchIndex = 0;
            pr.ackedReadSeq = 0;
            pr.matchKnownAtReadSeq = 0;
            pr.becomeProbe();
        }
        pr.logIncarnation = logIncarnation;
        return true;
    }

    /**
     * Holds (or resumes) the leader's own membership repairs ({@link #reconcileMembership}) while
     * the driver has a membership change waiting, so that it is not refused for a configuration
     * change the leader made on its own.
     */
    public void holdMembershipRepairs(boolean hold) {
        membershipRepairsHeld = hold;
    }

    /**
     * One membership repair per call, on a leader with a committed configuration of its term
     * (so it is a single-server change like any other): records a member's log incarnation
     * when the configuration has none yet; stages a voter that answers from a new log (it lost
     * entries it acknowledged, so it must not vote until it has them again); promotes a staged
     * member once it holds everything up to the latest configuration.
     */
    private void reconcileMembership() {
        if (role != Role.LEADER || !committedInTerm || !configurations.latestCommitted() || transferee != null
                || membershipRepairsHeld || restorePending != null) {
            return;
        }
        Configuration current = configurations.latest();
        for (Server s : current.servers()) {
            Server next = null;
            if (s.id().equals(id)) {
                next = s.incarnationUnrecorded() && !incarnation.isEmpty() ? s.withIncarnation(incarnation) : null;
            } else {
                Progress pr = progress.get(s.id());
                String announced = pr == null ? null : pr.announcedIncarnation;
                if (announced == null || announced.isEmpty()) {
                    continue;
                }
                if (s.incarnation().equals(Incarnations.ADDED)
                        || (s.incarnation().isEmpty() && Incarnations.isFounded(announced))) {
                    next = s.withIncarnation(announced);
                } else if (s.incarnation().isEmpty()) {
                    // A founding member answering from a log filled from others: it lost the log
                    // it founded with (whose acknowledgements counted), so it votes again only
                    // once caught up.
                    next = (s.isVoter() ? s.withSuffrage(Suffrage.STAGING) : s).withIncarnation(announced);
                    if (s.isVoter()) {
                        notices.add("founding member answers from a new log (its data directory was replaced or wiped); "
                                + "staging it: it votes again once it has caught up server=" + s.id());
                    }
                } else if (!s.incarnation().equals(announced)) {
                    next = (s.isVoter() ? s.withSuffrage(Suffrage.STAGING) : s).withIncarnation(announced);
                    notices.add("member answers from a new log (its data directory was replaced or wiped); "
                            + (s.isVoter() ? "staging it: it votes again once it has caught up" : "recording it")
                            + " server=" + s.id());
                } else if (s.suffrage() == Suffrage.STAGING && counted(s, pr)
                        && pr.matchIndex >= configurations.latestIndex()) {
                    next = s.withSuffrage(Suffrage.VOTER);
                    notices.add("staged member has caught up; promoting it to voter server=" + s.id()
                            + " matchIndex=" + pr.matchIndex);
                }
            }
            if (next != null) {
                appendConfiguration(current.with(next));
                return;
            }
        }
    }

    private void handleRejection(Progress pr, AppendEntriesResponse m) {
        long rejected = m.lastLogIndex();
        if (pr.mode == Progress.Mode.SNAPSHOT) {
            return;
        }
        if (lostAcknowledgedEntries(pr, m)) {
            notices.add("follower lost entries it had acknowledged (wiped data directory or torn log tail?);"
                    + " replicating to it again from its log follower=" + pr.id + " matchIndex=" + pr.matchIndex
                    + " followerLastIndex=" + (m.conflictTerm() == 0 ? m.conflictIndex() - 1 : m.lastLogIndex())
                    + " term=" + term);
            pr.matchIndex = 0;
            pr.becomeProbe();
            pr.nextIndex = Math.max(1, Math.min(m.conflictIndex(), rejected));
            sendAppends(pr, false);
            return;
        }
        if (pr.mode == Progress.Mode.REPLICATE && rejected <= pr.matchIndex) {
            return; // stale
        }
        if (pr.mode == Progress.Mode.PROBE && rejected != pr.nextIndex - 1) {
            return; // stale
        }
        long hint = m.conflictIndex();
        if (m.conflictTerm() > 0) {
            // Fast back-off (§5.3 end): skip to after our last entry of the follower's
            // conflicting term, or to the first index of that term on the follower.
            long j = lastIndexOfTerm(m.conflictTerm(), Math.min(rejected, log.lastIndex()));
            if (j > 0) {
                hint = j + 1;
            }
        }
        pr.becomeProbe();
        pr.nextIndex = Math.max(pr.matchIndex + 1, Math.min(Math.max(hint, 1), rejected));
        sendAppends(pr, false);
    }

    /**
     * True if {@code m} refuses an index the follower had acknowledged, for a request sent after
     * that acknowledgement arrived (so not a late answer): its log lost entries. Its matchIndex
     * must not be trusted any more, for commits or for where to replicate from.
     */
    private static boolean lostAcknowledgedEntries(Progress pr, AppendEntriesResponse m) {
        if (pr.matchIndex == 0 || m.readSeq() <= pr.matchKnownAtReadSeq) {
            return false;
        }
        // A log too short for the request: conflictIndex is the follower's lastIndex + 1 (>= 1).
        boolean tooShort = m.conflictTerm() == 0 && m.conflictIndex() > 0 && m.conflictIndex() <= pr.matchIndex;
        return m.lastLogIndex() <= pr.matchIndex || tooShort;
    }

    private long lastIndexOfTerm(long t, long from) {
        for (long i = from; i >= log.firstIndex() && i > 0; i--) {
            long ti = log.term(i);
            if (ti == t) {
                return i;
            }
            if (ti < t) {
                return 0;
            }
        }
        return 0;
    }

    private void handleInstallSnapshotResponse(InstallSnapshotResponse m) {
        if (role != Role.LEADER) {
            return;
        }
        Progress pr = progress.get(m.from());
        if (pr == null || !acceptAnswerFrom(pr, m.incarnation())) {
            return;
        }
        pr.recentActive = true;
        pr.lastContactTick = ticks;
        if (pr.mode != Progress.Mode.SNAPSHOT) {
            return;
        }
        if (m.success()) {
            // What the follower says it has, not the snapshot we are sending now: the answer
            // may be a late one for an earlier transfer we gave up on.
            if (pr.maybeUpdate(m.lastLogIndex())) {
                pr.matchKnownAtReadSeq = readSeq;
            }
            maybeCommit();
            if (role != Role.LEADER) {
                return;
            }
        } else {
            // The follower did not install it: probe from what it is known to have.
            pr.pendingSnapshotIndex = 0;
        }
        pr.becomeProbe();
        sendAppends(pr, false);
    }

    private void maybeCommit() {
        long candidate = majorityReached(selfMatch, pr -> pr.matchIndex);
        // §5.4.2: only entries of the current term are committed by counting replicas.
        if (candidate > commitIndex && log.term(candidate) == term) {
            commitTo(candidate);
            commitChanged = true;
            if (!committedInTerm && commitIndex >= termStartIndex) {
                committedInTerm = true;
                List<AwaitingRead> waiting = new ArrayList<>(readsAwaitingTermCommit);
                readsAwaitingTermCommit.clear();
                for (AwaitingRead r : waiting) {
                    readIndexFor(r.requestId(), r.lease(), r.origin());
                }
            }
            if (configurations.latestCommitted() && !configurations.latest().isVoter(id)) {
                // Thesis §4.2.2: a leader removed from (or demoted in) the configuration steps
                // down once that configuration is committed.
                becomeFollower(term, null);
            }
        }
    }

    private void flushLeaderMessages() {
        if (readRoundNeeded) {
            readRoundNeeded = false;
            broadcastHeartbeat();
        }
        if (replicationNeeded || commitChanged) {
            boolean notifyCommit = commitChanged;
            replicationNeeded = false;
            commitChanged = false;
            for (Progress pr : progress.values()) {
                sendAppends(pr, notifyCommit);
            }
        }
    }

    /** Sends what {@code pr} is missing, pipelining in REPLICATE mode; an empty append if asked. */
    private void sendAppends(Progress pr, boolean sendIfEmpty) {
        boolean sentAny = false;
        while (!pr.paused()) {
            long prevIndex = pr.nextIndex - 1;
            long prevTerm = log.term(prevIndex);
            List<LogEntry> entries = List.of();
            if (pr.nextIndex <= log.lastIndex()) {
                long to = Math.min(log.lastIndex(), pr.nextIndex + config.maxAppendEntries() - 1);
                entries = log.entries(pr.nextIndex, to, config.maxAppendBytes());
            }
            if (prevTerm == RaftLog.UNAVAILABLE || (pr.nextIndex <= log.lastIndex() && entries.isEmpty())) {
                sendSnapshot(pr);
                return;
            }
            // In PROBE mode an empty append is still worth sending while the follower is behind:
            // its answer (a rejection with a hint, or a match) is what moves the probe on.
            boolean probeBehind = pr.mode == Progress.Mode.PROBE && pr.matchIndex < log.lastIndex();
            if (entries.isEmpty() && (sentAny || !(sendIfEmpty || probeBehind))) {
                return;
            }
            send(pr.address, new AppendEntries(term, id, address, pr.id, prevIndex, prevTerm, entries, commitIndex, readSeq));
            sentAny = true;
            if (entries.isEmpty()) {
                if (pr.mode == Progress.Mode.PROBE) {
                    pr.probeSent = true;
                }
                return;
            }
            long last = entries.get(entries.size() - 1).index();
            if (pr.mode == Progress.Mode.REPLICATE) {
                if (pr.matchIndex == pr.nextIndex - 1) {
                    // Nothing was outstanding: the wait for an answer starts now, not at the
                    // last progress (after an idle minute, the first append would be judged
                    // lost at the next tick, and the follower probed for nothing).
                    pr.lastProgressTick = ticks;
                }
                pr.nextIndex = last + 1;
                pr.inflights.add(last);
            } else {
                pr.probeSent = true;
            }
        }
    }

    private void sendSnapshot(Progress pr) {
        if (latestSnapshot == null) {
            throw new IllegalStateException("follower " + pr.id + " needs entry " + pr.nextIndex
                    + " which is compacted, and there is no snapshot");
        }
        pr.becomeSnapshot(latestSnapshot.index());
        send(pr.address, new InstallSnapshot(term, id, address, pr.id, latestSnapshot));
    }

    private void broadcastHeartbeat() {
        readSeq++;
        readSeqSentTick.put(readSeq, ticks);
        for (Progress pr : progress.values()) {
            long prevIndex = pr.matchIndex;
            long prevTerm = log.term(prevIndex);
            if (prevTerm == RaftLog.UNAVAILABLE) {
                prevIndex = 0;
                prevTerm = 0;
            }
            send(pr.address, new AppendEntries(term, id, address, pr.id, prevIndex, prevTerm, List.of(),
                    commitIndex, readSeq));
        }
        releaseConfirmedReads();
    }

    private void sendTimeoutNow(Progress pr) {
        leaseRevoked = true;
        send(pr.address, new TimeoutNow(term, id, address, pr.id));
    }

    // ---------------------------------------------------------------- reads

    /** The highest read sequence a quorum of voters (counting this leader) has echoed. */
    private long quorumReadSeq() {
        return majorityReached(readSeq, pr -> pr.ackedReadSeq);
    }

    /**
     * The highest value a majority of the voters has reached: this leader's {@code own}, each
     * counted follower's {@code acked}, 0 for the others. Runs on every acknowledgement, so one
     * array and no boxed or keyed collections.
     */
    private long majorityReached(long own, ToLongFunction<Progress> acked) {
        List<Server> voters = configurations.latest().voters();
        long[] reached = new long[voters.size()];
        int i = 0;
        for (Server s : voters) {
            Progress pr = progress.get(s.id());
            reached[i++] = s.id().equals(id) ? own : counted(s, pr) ? acked.applyAsLong(pr) : 0;
        }
        return Quorum.majorityReached(reached);
    }

    private void releaseConfirmedReads() {
        if (pendingReads.isEmpty()) {
            return;
        }
        long confirmed = quorumReadSeq();
        while (!pendingReads.isEmpty() && pendingReads.peekFirst().seq() <= confirmed) {
            PendingRead r = pendingReads.pollFirst();
            confirmRead(r.requestId(), r.index(), r.origin());
        }
    }

    /**
     * True while a quorum of voters has acknowledged a heartbeat sent less than the lease ago:
     * no other leader can have been elected since (voters that heard from us refuse candidates
     * for an election timeout, which is longer than the lease).
     */
    private boolean leaseValid() {
        if (!config.checkQuorum() || leaseRevoked) {
            return false;
        }
        List<Server> voters = configurations.latest().voters();
        long[] ackTicks = new long[voters.size()];
        int i = 0;
        for (Server s : voters) {
            if (s.id().equals(id)) {
                ackTicks[i++] = ticks;
            } else {
                Progress pr = progress.get(s.id());
                Map.Entry<Long, Long> sent = counted(s, pr) ? readSeqSentTick.floorEntry(pr.ackedReadSeq) : null;
                ackTicks[i++] = sent == null || pr.ackedReadSeq == 0 ? Long.MIN_VALUE / 2 : sent.getValue();
            }
        }
        return ackTicks.length > 0 && ticks - Quorum.majorityReached(ackTicks) < config.leaseTicks();
    }

    private void pruneReadSeqTicks() {
        long horizon = ticks - 2L * config.electionTicks();
        while (!readSeqSentTick.isEmpty() && readSeqSentTick.firstEntry().getValue() < horizon
                && readSeqSentTick.size() > 1) {
            readSeqSentTick.pollFirstEntry();
        }
    }

    private void send(String to, RaftMessage message) {
        outbox.add(to, message);
    }
}
