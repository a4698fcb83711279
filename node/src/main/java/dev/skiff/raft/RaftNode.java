package dev.skiff.raft;

import dev.skiff.raft.LoopEvent.Bootstrap;
import dev.skiff.raft.LoopEvent.ChangeMembership;
import dev.skiff.raft.LoopEvent.LogWritten;
import dev.skiff.raft.LoopEvent.Propose;
import dev.skiff.raft.LoopEvent.Read;
import dev.skiff.raft.LoopEvent.Received;
import dev.skiff.raft.LoopEvent.SharedSnapshotFound;
import dev.skiff.raft.LoopEvent.Shutdown;
import dev.skiff.raft.LoopEvent.SnapshotSendFailed;
import dev.skiff.raft.LoopEvent.SnapshotStored;
import dev.skiff.raft.LoopEvent.SnapshotTaken;
import dev.skiff.raft.LoopEvent.TransferLeadership;
import dev.skiff.raft.PendingOperations.PendingRead;
import dev.skiff.raft.PendingOperations.Proposal;
import dev.skiff.raft.core.HardState;
import dev.skiff.raft.core.MembershipChange;
import dev.skiff.raft.core.Outbound;
import dev.skiff.raft.core.RaftCore;
import dev.skiff.raft.core.ReadState;
import dev.skiff.raft.core.Ready;
import dev.skiff.raft.core.SoftState;
import dev.skiff.raft.message.ForwardedProposals;
import dev.skiff.raft.message.ForwardedProposalsResponse;
import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.RaftMessage;
import dev.skiff.raft.message.ReadIndexResponse;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Implementation notes
 *
 * Threads. The node runs in a NodeRuntime: threads in production (ThreadedRuntime), a seeded
 * virtual world in the simulation, which therefore checks this very code. One loop owns the
 * RaftCore: every public method and every inbound message becomes a LoopEvent on the loop's
 * queue. The loop takes everything queued as one batch (group commit: all proposals that arrived
 * meanwhile go into one Ready and one fsync). Before it handles the batch it catches the core's
 * logical clock up with the runtime's clock: a process that was paused (GC, SIGSTOP, a slow
 * persist) must judge a lease read, or a vote request, with the time that really passed, not
 * with the clock it had when it stopped. Then it carries out Readies in the order Ready
 * documents: persist, send, hand to the FSM runner. A leader's Readies are the exception (thesis
 * §10.2.1): it sends first and hands the entries to the log writer, so the loop keeps proposing,
 * replicating and committing while the disk works. The core counts the leader's own log toward a
 * quorum only when the loop collects the finished write and calls advance. Every other Ready that
 * persists something (hard state, a follower's entries, a reset) is persisted on the loop after
 * the writer has finished what it was given, so the store sees one writer, in order; a Ready
 * with nothing to persist (a commit, heartbeats) never waits.
 *
 * The FSM runner (its own serial executor) applies committed entries, installs snapshots and
 * captures the FSM for the Snapshotter, which writes snapshot data on an I/O executor, so neither
 * the loop nor applies wait for snapshot I/O. Snapshot store reads for sending (S3 in the shared
 * mode) also happen on the I/O executor, never on the loop.
 *
 * Futures. Proposals wait in PendingOperations (loop-owned) by log index; when their entry
 * commits they travel with it to the FSM runner, which completes them as it applies. Reads wait
 * by request id until the core confirms them. The loop fails what is left when leadership is
 * lost (outcome unknown) or on shutdown.
 *
 * Storage failures. If persisting a Ready fails (disk full, I/O error), nothing more of that
 * Ready is sent and the core is not advanced: the unpersisted entries stay in the core's memory
 * and the loop writes them again. A leader write that fails on the log writer, and the writes
 * queued after it, are written again by the loop, in order, before anything else. Meanwhile new
 * applies fail fast with StorageFailureException (nothing appended) and the loop retries with
 * backoff; a leader that cannot write appends nothing new, so entries it sent before the failure
 * commit only if followers store them, and the cluster elects another. Other errors are fatal.
 */

/**
 * The {@link Raft} implementation: a {@link RaftCore} driven by one loop in a
 * {@link NodeRuntime}. See the implementation notes in the source.
 */
final class RaftNode implements Raft, MessageHandler, NodeRuntime.LoopBody {

    private static final Logger log = LoggerFactory.getLogger(RaftNode.class);
    private static final long STORAGE_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private final RaftConfig config;
    private final RaftStorage storage;
    private final Transport transport;
    private final RaftCore core;
    private final NodeRuntime runtime;
    private final FsmRunner fsm;
    private final Snapshotter snapshotter;
    private final LogWriter logWriter;
    private final Executor io;
    private final Executor notifier;
    private final List<Consumer<Observation>> observers = new CopyOnWriteArrayList<>();
    private final long tickNanos;
    private final long startNanos;
    private NodeRuntime.EventSink loop;
    private Runnable stopPeriodicSnapshots = () -> { };
    /**
     * Draws each wait before the next snapshot check; used by one thread at a time (the starter,
     * then the timer). Its own generator, seeded from the runtime's clock and this server's id:
     * drawing from the core's would change every election timeout after it.
     */
    private final SplittableRandom snapshotJitter;

    /** What the leader does to every command as it appends it (its own and forwarded ones). */
    private final UnaryOperator<byte[]> leaderCommands;

    // Loop-owned.
    private long ticksDone;
    private final PendingOperations pending = new PendingOperations();
    private final ForwardedOperations forwarded;
    /** The last index handed to the FSM (committed entries or an installed snapshot). */
    private long handedToFsm;
    /**
     * Membership changes that arrived while a configuration change was still
     * uncommitted (the leader's own membership repairs included): handled in order once it has
     * committed, as hashicorp/raft queues them, instead of refused.
     */
    private final java.util.Deque<ChangeMembership> waitingForConfiguration = new java.util.ArrayDeque<>();
    private boolean storageFailed;
    private Ready failedReady;
    /** Leader writes that failed on the log writer (and those after them), to write again in order. */
    private final ArrayDeque<Ready> retryWrites = new ArrayDeque<>();
    /** Shared-store snapshots opened when they arrived, until the FSM installs them (or the core refuses them). */
    private final Map<String, OpenSnapshot> openedSnapshots = new HashMap<>();
    private volatile IOException lastStorageError;
    private long storageRetryAt;
    private SoftState lastSoft;
    private List<FollowerStats> followers = List.of();
    private long followersTick = -1;
    private RaftState followersRole;

    // Published state for readers on any thread.
    private volatile RaftState state = RaftState.FOLLOWER;
    private volatile Server leader;
    private volatile RaftStats stats;
    private volatile boolean running = true;
    /** Peers that could not read a snapshot from the shared store: they get the bytes. */
    private final Set<String> peersNeedingSnapshotBytes = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();

    private RaftNode(RaftConfig config, Fsm fsm, RaftStorage storage, Transport transport, RaftCore core,
                     SnapshotMeta startSnapshot, NodeRuntime runtime, UnaryOperator<byte[]> leaderCommands) {
        this.config = config;
        this.leaderCommands = leaderCommands;
        this.storage = storage;
        this.transport = transport;
        this.core = core;
        this.runtime = runtime;
        this.tickNanos = config.tickInterval().toNanos();
        this.startNanos = runtime.nanoTime();
        this.snapshotJitter = new SplittableRandom(startNanos ^ config.localId().hashCode());
        String id = config.localId();
        this.io = runtime.ioExecutor("raft-io");
        this.notifier = runtime.serialExecutor("raft-notify");
        this.logWriter = runtime.logWriter(storage, "raft-log-writer", () -> postQuietly(new LogWritten()));
        this.fsm = new FsmRunner(id, fsm, storage, config.maxApplyBatch(), runtime.serialExecutor("raft-fsm"), startSnapshot,
                failure -> {
                    notifyObservers(new Observation.Fatal(failure));
                    postQuietly(new Shutdown());
                });
        this.snapshotter = new Snapshotter(id, config.snapshotThreshold(), config.proportionalSnapshotBytes(), storage, this.fsm, io, this::postQuietly,
                this::notifyObservers, runtime::nanoTime, startSnapshot);
        this.lastSoft = new SoftState(core.state(), core.term(), core.leaderId(), core.leaderAddress());
        // The process's start time on the runtime's clock tells its batches from an earlier process's.
        this.forwarded = new ForwardedOperations(config.localId(), transport.localAddress(), runtime.nanoTime(), transport::send);
        this.handedToFsm = core.commitIndex();
        publish();
    }

    /** Starts a node with threads ({@link ThreadedRuntime}); see {@link Raft#create(RaftConfig, Fsm, LogStore, StableStore, SnapshotStore, Transport, UnaryOperator)}. */
    static Raft start(RaftConfig config, Fsm fsm, LogStore logs, StableStore stable,
                      SnapshotStore snapshots, Transport transport, UnaryOperator<byte[]> leaderCommands) throws IOException {
        return start(config, fsm, logs, stable, snapshots, transport, new ThreadedRuntime(config.localId()),
                new SplittableRandom(System.nanoTime() ^ config.localId().hashCode()), leaderCommands);
    }

    /**
     * Starts a node in {@code runtime}: restores the FSM from the latest snapshot, reconciles the
     * log with it, loads the hard state, then starts the transport and the loop.
     */
    static RaftNode start(RaftConfig config, Fsm fsm, LogStore logs, StableStore stable, SnapshotStore snapshots,
                          Transport transport, NodeRuntime runtime, SplittableRandom random) throws IOException {
        return start(config, fsm, logs, stable, snapshots, transport, runtime, random, UnaryOperator.identity());
    }

    /** {@link #start(RaftConfig, Fsm, LogStore, StableStore, SnapshotStore, Transport, NodeRuntime, SplittableRandom)}, passing every command this server appends as leader through {@code leaderCommands}. */
    static RaftNode start(RaftConfig config, Fsm fsm, LogStore logs, StableStore stable, SnapshotStore snapshots,
                          Transport transport, NodeRuntime runtime, SplittableRandom random,
                          UnaryOperator<byte[]> leaderCommands) throws IOException {
        config.validate();
        RaftStorage storage = new RaftStorage(logs, stable, snapshots);
        SnapshotMeta snapshot = restoreLatestSnapshot(fsm, storage);
        if (storage.reconcileLog(snapshot)) {
            log.warn("log did not continue snapshot index={}; discarded it, will catch up from the leader", snapshot.index());
        }
        HardState hs = storage.loadHardState();
        RaftCore core = new RaftCore(config, transport.localAddress(), logs, hs, snapshot, random);
        RaftNode node = new RaftNode(config, fsm, storage, transport, core, snapshot, runtime, leaderCommands);
        transport.start(node);
        node.loop = runtime.startLoop("raft-loop", node);
        node.schedulePeriodicSnapshots();
        log.info("raft started id={} address={} term={} lastIndex={} commitIndex={}", config.localId(),
                transport.localAddress(), hs.term(), core.lastIndex(), core.commitIndex());
        return node;
    }

    /**
     * Restores the FSM from the latest snapshot, if any. In a store shared by the cluster, other
     * members' snapshots can push the latest out of it between listing and opening: then the new
     * latest is taken.
     */
    private static SnapshotMeta restoreLatestSnapshot(Fsm fsm, RaftStorage storage) throws IOException {
        for (int attempt = 1; ; attempt++) {
            SnapshotMeta snapshot = storage.latestSnapshot().orElse(null);
            if (snapshot == null) {
                return null;
            }
            try (OpenSnapshot open = storage.snapshots().open(snapshot.id())) {
                fsm.restore(open.data());
                log.info("restored snapshot id={} index={} term={}", snapshot.id(), snapshot.index(), snapshot.term());
                return snapshot;
            } catch (FileNotFoundException e) {
                if (!storage.snapshots().sharedByCluster() || attempt == 3) {
                    throw e;
                }
                log.info("snapshot id={} left the shared snapshot store before it was read; taking the newest again",
                        snapshot.id());
            }
        }
    }

    /**
     * Checks whether to snapshot after a random wait between one and two snapshot intervals, as
     * hashicorp/raft does: members started together (a cluster provisioned at once, the demo)
     * would otherwise reach the threshold and snapshot at the same moment, every time, and
     * the whole cluster would pay the capture and the upload at once.
     */
    private void schedulePeriodicSnapshots() {
        long interval = config.snapshotInterval().toNanos();
        stopPeriodicSnapshots = runtime.schedule(() -> {
            if (running) {
                snapshotter.maybeSnapshot();
                schedulePeriodicSnapshots();
            }
        }, interval + snapshotJitter.nextLong(interval));
    }

    /** The core, for the simulation's invariant checks (read on the loop's thread only). */
    RaftCore core() {
        return core;
    }

    // ---------------------------------------------------------------- loop

    private void post(LoopEvent event) {
        if (!running) {
            throw new RaftShutdownException(false);
        }
        loop.post(event);
    }

    private void postQuietly(LoopEvent event) {
        if (running && loop != null) {
            loop.post(event);
        }
    }

    @Override
    public boolean running() {
        return running;
    }

    @Override
    public long nextWakeNanos() {
        return startNanos + (ticksDone + 1) * tickNanos;
    }

    @Override
    public void runBatch(List<LoopEvent> batch) {
        // Time first: everything in the batch arrived before now, and is judged at now.
        long ticksBefore = ticksDone;
        catchUpTicks();
        for (LoopEvent event : batch) {
            handle(event);
            if (!running) {
                return;
            }
        }
        if (core.state() == RaftState.LEADER) {
            // Elected during this batch: what waited to be forwarded is this server's to handle.
            forwarded.takeQueued(this::propose, this::startRead);
        } else {
            // One message per kind to the leader for everything this batch forwarded.
            forwarded.flush(core.leader(), core.term(), core.logIncarnation(), runtime.nanoTime());
        }
        if (ticksDone != ticksBefore) {
            forwarded.expire(runtime.nanoTime(), config.electionTimeout().toNanos() * 4);
            if (core.state() != RaftState.LEADER) {
                // A message the transport dropped (a peer in back-off, a full queue) is never sent again by it.
                forwarded.resend(core.leader(), core.term(), core.logIncarnation(), runtime.nanoTime(),
                        config.heartbeatInterval().toNanos() * 4);
            }
        }
        processReadies();
        handleWaitingForConfiguration();
        core.holdMembershipRepairs(!waitingForConfiguration.isEmpty());
        for (String notice : core.takeNotices()) {
            log.warn("{} id={}", notice, config.localId());
        }
        publish();
    }

    @Override
    public void loopFailed(Throwable t) {
        if (running) {
            log.error("raft loop failed, shutting down id={}", config.localId(), t);
            notifyObservers(new Observation.Fatal(t));
            running = false;
            failAllPending(new RaftShutdownException(true));
        }
    }

    @Override
    public void loopEnded() {
        terminated.complete(null);
    }

    private void handle(LoopEvent event) {
        switch (event) {
            case Received r -> received(r.message());
            case SnapshotStored s -> {
                if (s.opened() != null) {
                    OpenSnapshot previous = openedSnapshots.put(s.local().id(), s.opened());
                    closeQuietly(previous);
                }
                core.snapshotReceived(s.header(), s.local());
            }
            case SnapshotSendFailed f -> core.snapshotSendFailed(f.peer());
            case SnapshotTaken t -> core.snapshotSaved(t.meta());
            case SharedSnapshotFound f -> {
                if (core.adoptSharedSnapshot(f.meta())) {
                    log.info("adopted snapshot id={} index={} from the shared snapshot store id={}", f.meta().id(),
                            f.meta().index(), config.localId());
                }
            }
            case LogWritten w -> collectWrites();
            case Propose p -> propose(p);
            case Read r -> startRead(r);
            case ChangeMembership c -> {
                if (!waitForConfiguration(c, c.future(), c.timeout())) {
                    proposeChange(c);
                }
            }
            case TransferLeadership t -> startTransfer(t);
            case Bootstrap b -> bootstrap(b);
            case Shutdown s -> shutdownOnLoop(new RaftShutdownException(true));
        }
    }

    private void received(RaftMessage message) {
        switch (message) {
            case ForwardedProposalsResponse a when a.to().equals(config.localId()) -> forwarded.answered(a, pending, handedToFsm, fsm);
            case ReadIndexResponse a when a.to().equals(config.localId()) -> forwarded.answered(a, fsm);
            case ForwardedProposals p when core.state() == RaftState.LEADER -> {
                List<byte[]> commands = new ArrayList<>(p.commands().size());
                for (byte[] command : p.commands()) {
                    commands.add(leaderCommands.apply(command));
                }
                core.step(new ForwardedProposals(p.term(), p.from(), p.fromAddress(), p.to(), p.epoch(), p.batchId(), p.resent(),
                        commands));
            }
            default -> core.step(message);
        }
    }

    /** Parks {@code event} while this leader has an uncommitted configuration change; true if parked. */
    private boolean waitForConfiguration(ChangeMembership event, CompletableFuture<?> future, Duration timeout) {
        boolean uncommitted = core.state() == RaftState.LEADER && core.configurationIndex() > core.commitIndex();
        if (!uncommitted && waitingForConfiguration.isEmpty()) {
            return false;
        }
        if (waitingForConfiguration.isEmpty()) {
            scheduleTimeout(future, timeout, "waiting for the configuration change at index ", core.configurationIndex());
        } else {
            scheduleTimeout(future, timeout, "waiting behind earlier membership changes; configuration index ",
                    core.configurationIndex());
        }
        waitingForConfiguration.add(event);
        return true;
    }

    /** Hands parked membership changes on, in order, while no configuration change is uncommitted. */
    private void handleWaitingForConfiguration() {
        while (!waitingForConfiguration.isEmpty()
                && !(core.state() == RaftState.LEADER && core.configurationIndex() > core.commitIndex())) {
            ChangeMembership c = waitingForConfiguration.poll();
            if (!c.future().isDone()) {
                proposeChange(c);
            }
            processReadies();
        }
    }

    private void catchUpTicks() {
        long due = (runtime.nanoTime() - startNanos) / tickNanos;
        while (ticksDone < due) {
            ticksDone++;
            core.tick();
        }
    }

    private void processReadies() {
        collectWrites();
        if (storageFailed && runtime.nanoTime() < storageRetryAt) {
            return;
        }
        if (!retryWrites.isEmpty() && !retryFailedWrites()) {
            return;
        }
        while (failedReady != null || core.hasReady()) {
            // A Ready whose persistence failed is retried as it is: core.ready() has already
            // handed out its hard state and committed entries, and will not produce them again.
            boolean retry = failedReady != null;
            Ready ready = retry ? failedReady : core.ready();
            // Thesis §10.2.1: a leader writes its log in parallel with replicating it, on the
            // log writer; it counts itself toward a quorum only once its own write is done
            // (core.advance, called when the write completes). Anything else (votes, a changed
            // term, a follower's answers) is sent only after persisting, on this thread.
            boolean sendFirst = !retry && ready.hardState() == null && core.state() == RaftState.LEADER;
            boolean writeAsync = sendFirst && ready.resetLogTo() == 0 && !ready.entries().isEmpty() && !storageFailed;
            // The entries a Ready commits are durable on a quorum already (etcd hands them to its
            // apply loop before it saves, too), so the state machine starts on them before this
            // node's own write: a follower, which writes on this thread before it answers, answers
            // a write that came in through it an fsync sooner. Not for a Ready that changes the
            // term or the vote, resets the log or installs a snapshot (those are handed after
            // the write), and only on the first attempt (a failed write retries the Ready).
            boolean handBeforeWrite = ready.hardState() == null && ready.resetLogTo() == 0 && ready.restore() == null;
            if (sendFirst) {
                send(ready.messages());
            }
            if (handBeforeWrite && !retry && !ready.committed().isEmpty()) {
                handToFsm(ready);
            }
            if (writeAsync) {
                logWriter.submit(ready);
            } else if (ready.hardState() != null || ready.resetLogTo() > 0 || !ready.entries().isEmpty()) {
                // The log store takes writes from one thread at a time, in order: the writer's
                // first. If one of them failed, it is retried before this Ready.
                awaitWriter();
                if (!retryWrites.isEmpty()) {
                    failedReady = ready;
                    return;
                }
                try {
                    storage.persist(ready);
                    failedReady = null;
                    storageRecovered();
                } catch (IOException e) {
                    storageWriteFailed(e);
                    failedReady = ready;
                    return;
                }
            }
            if (!sendFirst) {
                send(ready.messages());
            }
            if (!handBeforeWrite && (ready.restore() != null || !ready.committed().isEmpty())) {
                handToFsm(ready);
            }
            if (ready.compactBefore() > 0) {
                compact(ready);
            }
            confirmReads(ready.readStates());
            if (ready.softState() != null) {
                onSoftStateChange(ready.softState());
            }
            if (ready.transferAborted()) {
                CompletableFuture<Void> transfer = pending.takeTransfer();
                if (transfer != null) {
                    transfer.completeExceptionally(new LeadershipTransferException(
                            "the target did not take over leadership within an election timeout"));
                }
            }
            if (!writeAsync) {
                core.advance(ready);
            }
            runtime.readyCarriedOut(ready);
        }
        if (!openedSnapshots.isEmpty()) {
            // The core refused them (stale, or state it already has).
            openedSnapshots.values().forEach(RaftNode::closeQuietly);
            openedSnapshots.clear();
        }
    }

    /** Hands {@code ready}'s snapshot to install (if any) and committed entries, with their proposals, to the FSM. */
    private void handToFsm(Ready ready) {
        OpenSnapshot opened = null;
        if (ready.restore() != null) {
            snapshotter.installed(ready.restore());
            opened = openedSnapshots.remove(ready.restore().id());
        }
        fsm.apply(ready.restore(), opened, ready.committed(), pending.takeProposals(ready.committed()));
        handedToFsm = Math.max(handedToFsm, ready.committed().isEmpty() ? ready.restore().index()
                : ready.committed().get(ready.committed().size() - 1).index());
    }

    private static void closeQuietly(OpenSnapshot open) {
        if (open == null) {
            return;
        }
        try {
            open.close();
        } catch (IOException | RuntimeException e) {
            log.debug("closing snapshot {} failed: {}", open.meta().id(), e.toString());
        }
    }

    private void compact(Ready ready) {
        if (!logWriter.idle()) {
            logWriter.submitCompaction(ready);
            return;
        }
        try {
            storage.compact(ready);
        } catch (IOException e) {
            log.warn("log compaction failed (will retry at the next snapshot) id={} cause={}", config.localId(), e.toString());
        }
    }

    /**
     * Takes the log writer's finished writes, in order: a durable one advances the core; a
     * failed one, and every one after it, waits in {@code retryWrites} for this thread to
     * write it again.
     */
    private void collectWrites() {
        LogWriter.Completed done;
        while ((done = logWriter.takeCompleted()) != null) {
            Exception failure = done.failure();
            if (failure == null && !done.skipped() && retryWrites.isEmpty()) {
                core.advance(done.ready());
                continue;
            }
            if (failure instanceof IOException ioe) {
                storageWriteFailed(ioe);
            } else if (failure != null) {
                throw new IllegalStateException("log writer failed: " + failure, failure);
            }
            retryWrites.add(done.ready());
        }
    }

    /** Writes again, on this thread, what the log writer could not; false if the store still fails. */
    private boolean retryFailedWrites() {
        awaitWriter();
        while (!retryWrites.isEmpty()) {
            Ready r = retryWrites.peekFirst();
            try {
                storage.persist(r);
            } catch (IOException e) {
                storageWriteFailed(e);
                return false;
            }
            retryWrites.pollFirst();
            core.advance(r);
        }
        logWriter.resume();
        storageRecovered();
        return true;
    }

    /** Waits until the log writer has nothing queued, then collects its outcomes. */
    private void awaitWriter() {
        if (!logWriter.idle()) {
            try {
                logWriter.awaitIdle();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the log writer", e);
            }
        }
        collectWrites();
    }

    /** A log or stable store write failed: refuse writes and retry with backoff, or stop if it cannot recover. */
    private void storageWriteFailed(IOException e) {
        if (e instanceof StableStoreFencedException) {
            throw new IllegalStateException("stable store fenced this server: " + e.getMessage(), e);
        }
        if (e instanceof CorruptLogException) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        if (!storageFailed) {
            log.error("storage write failed; refusing writes until it recovers id={} cause={}",
                    config.localId(), e.toString());
            notifyObservers(new Observation.StorageHealth("log", Optional.of(e.toString())));
        }
        storageFailed = true;
        storageRetryAt = runtime.nanoTime() + STORAGE_RETRY_NANOS;
        lastStorageError = e;
    }

    private void storageRecovered() {
        if (storageFailed) {
            storageFailed = false;
            log.info("storage recovered, writes resume id={}", config.localId());
            notifyObservers(new Observation.StorageHealth("log", Optional.empty()));
        }
    }

    /**
     * Sends one Ready's messages, those to one server together, so that the transport can carry
     * a leader's append and its answer to a forwarded batch, or a follower's answer and its
     * forwarded commands, in one request.
     */
    private void send(List<Outbound> messages) {
        if (messages.size() == 1) {
            send(messages.get(0));
            return;
        }
        Map<String, List<RaftMessage>> byServer = new LinkedHashMap<>();
        for (Outbound out : messages) {
            if (out.message() instanceof InstallSnapshot) {
                send(out);
            } else {
                byServer.computeIfAbsent(out.address(), a -> new ArrayList<>(4)).add(out.message());
            }
        }
        byServer.forEach(transport::send);
    }

    private void send(Outbound out) {
        if (out.message() instanceof InstallSnapshot header) {
            io.execute(() -> sendSnapshot(out.address(), header));
            return;
        }
        transport.send(out.address(), out.message());
    }

    /**
     * Runs on the I/O executor: opening a snapshot may read S3. With a store the whole cluster
     * reads (S3), only the header goes out and the follower fetches the snapshot itself, sparing
     * the leader the download and the upload; a peer that could not find it there gets the bytes
     * streamed on the next attempt.
     */
    private void sendSnapshot(String address, InstallSnapshot header) {
        String peer = header.to();
        SnapshotMeta meta = header.meta();
        boolean byReference = storage.snapshots().sharedByCluster() && !peersNeedingSnapshotBytes.contains(peer);
        OpenSnapshot open;
        try {
            open = byReference
                    ? new OpenSnapshot(meta, InputStream.nullInputStream())
                    : storage.snapshots().open(meta.id());
        } catch (IOException | RuntimeException e) {
            log.warn("cannot open snapshot {} for {}: {}", meta.id(), peer, e.toString());
            if (e instanceof FileNotFoundException) {
                offerNewerSharedSnapshot(meta, peer);
            }
            postQuietly(new SnapshotSendFailed(peer));
            return;
        }
        log.info("sending snapshot id={} index={} to={}{}", meta.id(), meta.index(), peer,
                byReference ? " by reference (the follower reads it from the shared snapshot store)" : "");
        transport.sendSnapshot(address, byReference ? header.byReference() : header, open).whenComplete((ok, err) -> {
            if (err == null) {
                peersNeedingSnapshotBytes.remove(peer);
                return;
            }
            if (byReference && SnapshotRefusedException.isRefusal(err)) {
                peersNeedingSnapshotBytes.add(peer);
                log.warn("{} could not read snapshot {} from the shared store ({}); streaming it next time", peer, meta.id(),
                        err.toString());
                offerNewerSharedSnapshot(meta, peer);
            } else {
                log.warn("snapshot transfer to {} failed: {}", peer, err.toString());
            }
            postQuietly(new SnapshotSendFailed(peer));
        });
    }

    /**
     * The snapshot the core wants to send is gone: in a store shared by the cluster, retention
     * keeps the newest of all members' snapshots, so another member's newer one may have
     * replaced it. Without this, a follower that needs a snapshot would wait for this leader's
     * next one, which an idle cluster never takes.
     */
    private void offerNewerSharedSnapshot(SnapshotMeta missing, String peer) {
        if (!storage.snapshots().sharedByCluster()) {
            return;
        }
        try {
            List<SnapshotMeta> stored = storage.snapshots().list();
            if (stored.stream().anyMatch(m -> m.id().equals(missing.id()))) {
                return;
            }
            stored.stream().filter(m -> m.index() >= missing.index())
                    .max(java.util.Comparator.comparingLong(SnapshotMeta::index))
                    .ifPresent(newer -> {
                        peersNeedingSnapshotBytes.remove(peer);
                        postQuietly(new SharedSnapshotFound(newer));
                    });
        } catch (IOException | RuntimeException e) {
            log.warn("cannot list the shared snapshot store: {}", e.toString());
        }
    }

    private void onSoftStateChange(SoftState soft) {
        boolean wasLeader = lastSoft.state() == RaftState.LEADER;
        boolean leaderChanged = !Objects.equals(lastSoft.leaderId(), soft.leaderId());
        // Observers react by reading state() and stats(): they must see the change they are told of,
        // not the state before this batch (it is published again at the batch's end).
        publish();
        if (soft.state() != lastSoft.state() || soft.term() != lastSoft.term()) {
            log.info("state change id={} state={} term={} leader={}", config.localId(), soft.state(), soft.term(), soft.leaderId());
            notifyObservers(new Observation.StateChanged(soft.state(), soft.term()));
        }
        if (wasLeader && soft.state() != RaftState.LEADER) {
            pending.failAll(new LeadershipLostException("leadership lost in term " + lastSoft.term()),
                    new NotLeaderException(core.leader()));
            CompletableFuture<Void> transfer = pending.takeTransfer();
            if (transfer != null) {
                transfer.complete(null);
            }
        }
        lastSoft = soft;
        if (leaderChanged) {
            notifyObservers(new Observation.LeaderChanged(Optional.ofNullable(core.leader()), soft.term()));
        }
    }

    private void publish() {
        state = running ? core.state() : RaftState.SHUTDOWN;
        leader = core.leader();
        long contact = core.ticksSinceLeaderContact();
        SnapshotMeta snap = core.latestSnapshot();
        long applied = fsm.appliedIndex();
        stats = new RaftStats(config.localId(), state, core.term(), Optional.ofNullable(leader), core.commitIndex(),
                applied, Math.max(0, core.commitIndex() - applied), core.lastIndex(), core.lastTerm(),
                snap == null ? core.snapshotIndex() : snap.index(), snap == null ? core.snapshotTerm() : snap.term(),
                core.configuration(), core.configurationIndex(),
                contact < 0 ? Optional.empty() : Optional.of(config.tickInterval().multipliedBy(contact)),
                followerStats(), forwarded.commandsSent(), forwarded.readsSent());
    }

    /**
     * The leader's view of its followers, rebuilt at most once per tick (and at once when the
     * role changes): publish runs after every batch, tens of thousands of times a second under
     * load, and last contact is counted in ticks anyway.
     */
    private List<FollowerStats> followerStats() {
        RaftState role = core.state();
        if (ticksDone != followersTick || role != followersRole) {
            followersTick = ticksDone;
            followersRole = role;
            followers = core.followers().stream().map(f -> new FollowerStats(f.id(), f.voter(), f.matchIndex(), f.nextIndex(),
                    config.tickInterval().multipliedBy(f.ticksSinceContact()))).toList();
        }
        return followers;
    }

    private void notifyObservers(Observation o) {
        if (observers.isEmpty()) {
            return;
        }
        notifier.execute(() -> {
            for (Consumer<Observation> c : observers) {
                try {
                    c.accept(o);
                } catch (RuntimeException e) {
                    log.warn("observer failed on {}", o, e);
                }
            }
        });
    }

    // ---------------------------------------------------------------- inbound

    @Override
    public void onMessage(RaftMessage message) {
        postQuietly(new Received(message));
    }

    @Override
    public void onSnapshot(InstallSnapshot header, InputStream data) throws IOException {
        if (header.inSharedStore()) {
            SnapshotMeta local = findInSharedStore(header);
            log.info("snapshot index={} term={} from={} is in the shared snapshot store; installing it from there",
                    local.index(), local.term(), header.from());
            // Opened now: other members' snapshots may push it out of the store before the FSM reads it.
            postQuietly(new SnapshotStored(header, local, storage.snapshots().open(local.id())));
            return;
        }
        SnapshotMeta meta = header.meta();
        SnapshotSink sink = storage.snapshots().create(meta.index(), meta.term(), meta.configuration(), meta.configurationIndex());
        try {
            data.transferTo(sink.out());
            SnapshotMeta local = sink.commit();
            log.info("received snapshot index={} term={} from={} bytes={}", local.index(), local.term(), header.from(), local.size());
            // In a store shared by the cluster, other members' snapshots may push it out before the FSM reads it.
            postQuietly(new SnapshotStored(header, local,
                    storage.snapshots().sharedByCluster() ? storage.snapshots().open(local.id()) : null));
        } catch (IOException | RuntimeException e) {
            sink.cancel();
            throw e;
        }
    }

    /** The snapshot a by-reference InstallSnapshot names, as listed in this server's store. */
    private SnapshotMeta findInSharedStore(InstallSnapshot header) throws IOException {
        String id = header.meta().id();
        if (!storage.snapshots().sharedByCluster()) {
            throw new FileNotFoundException("snapshot " + id + " is in the leader's shared snapshot store, but this server's "
                    + "snapshot store is not shared: give every server the same snapshot store (--snapshots)");
        }
        for (SnapshotMeta m : storage.snapshots().list()) {
            if (m.id().equals(id)) {
                return m;
            }
        }
        throw new FileNotFoundException("snapshot " + id + " is not (or no longer) in this server's snapshot store");
    }

    // ---------------------------------------------------------------- operations

    @Override
    public ApplyFuture apply(byte[] command, Duration timeout) {
        ApplyFuture future = new ApplyFuture();
        submit(future, new Propose(LogType.COMMAND, command, timeout, castFuture(future)));
        return future;
    }

    @Override
    public CompletableFuture<Long> barrier(Duration timeout) {
        CompletableFuture<Long> future = new CompletableFuture<>();
        submit(future, new Propose(LogType.BARRIER, new byte[0], timeout, castFuture(future)));
        return future;
    }

    @SuppressWarnings("unchecked")
    private static CompletableFuture<Object> castFuture(CompletableFuture<?> future) {
        return (CompletableFuture<Object>) future;
    }

    /** Posts {@code event} to the loop, or fails {@code future} if the node has stopped. */
    private void submit(CompletableFuture<?> future, LoopEvent event) {
        try {
            post(event);
        } catch (RaftShutdownException e) {
            future.completeExceptionally(e);
        }
    }

    /** Runs a loop-side operation; a RaftException it throws fails {@code future}. */
    private static void failOnRaftException(CompletableFuture<?> future, Runnable action) {
        try {
            action.run();
        } catch (RaftException e) {
            future.completeExceptionally(e);
        }
    }

    private void propose(Propose p) {
        failOnRaftException(p.future(), () -> {
            if (core.state() != RaftState.LEADER && p.type() == LogType.COMMAND) {
                forward(p);
                return;
            }
            if (storageFailed) {
                throw new StorageFailureException("cannot write the log: " + lastStorageError, lastStorageError, false);
            }
            if (pending.proposalCount() >= config.maxPendingApplies()) {
                throw new RaftTimeoutException("leader saturated: " + pending.proposalCount() + " operations pending", false);
            }
            long index = core.propose(p.type(), p.type() == LogType.COMMAND ? leaderCommands.apply(p.data()) : p.data());
            Proposal displaced = pending.addProposal(index, new Proposal(p.future(), core.term(), p.type()));
            if (displaced != null) {
                // A command forwarded while this server followed was placed here by the old leader.
                displaced.future().completeExceptionally(new LeadershipLostException("index " + index
                        + " was given to another command by the leader of term " + core.term()));
            }
            scheduleTimeout(p.future(), p.timeout(), "apply at index ", index);
        });
    }

    /** A follower's command goes to the leader with the others of this batch ({@link ForwardedOperations}). */
    private void forward(Propose p) {
        if (core.leader() == null) {
            throw new NotLeaderException(null);
        }
        if (pending.proposalCount() + forwarded.proposalCount() >= config.maxPendingApplies()) {
            throw new RaftTimeoutException("saturated: " + forwarded.proposalCount() + " commands forwarded to the leader "
                    + "are waiting for its answer", false);
        }
        forwarded.propose(p);
        scheduleTimeout(p.future(), p.timeout(), "a command forwarded to the leader in term ", core.term());
    }

    /**
     * Fails {@code future} with an outcome-unknown timeout unless it completes in time. The
     * timer task is cancelled when the future completes: otherwise every write would leave a
     * task in the timer's queue for the whole timeout, hundreds of thousands under load.
     */
    private void scheduleTimeout(CompletableFuture<?> future, Duration timeout, String what, long index) {
        if (timeout == null || timeout.isZero() || timeout.isNegative() || future.isDone()) {
            return;
        }
        Runnable cancel = runtime.schedule(() -> future.completeExceptionally(
                new RaftTimeoutException(what + index + " timed out after " + timeout.toMillis() + " ms", true)),
                timeout.toNanos());
        future.whenComplete((result, error) -> cancel.run());
    }

    @Override
    public CompletableFuture<Void> verifyLeader() {
        CompletableFuture<Long> confirmed = new CompletableFuture<>();
        submit(confirmed, new Read(false, false, confirmed));
        return confirmed.thenApply(i -> null);
    }

    @Override
    public CompletableFuture<Long> readIndex() {
        CompletableFuture<Long> future = new CompletableFuture<>();
        submit(future, new Read(false, true, future));
        return future;
    }

    @Override
    public CompletableFuture<Long> leaseRead() {
        CompletableFuture<Long> future = new CompletableFuture<>();
        submit(future, new Read(true, true, future));
        return future;
    }

    private void startRead(Read r) {
        if (core.state() != RaftState.LEADER && r.waitForApply()) {
            if (core.leader() == null) {
                r.future().completeExceptionally(new NotLeaderException(null));
            } else {
                forwarded.read(r);
            }
            return;
        }
        long id = pending.addRead(r.future(), r.waitForApply());
        try {
            core.readIndex(id, r.lease());
        } catch (RaftException e) {
            pending.takeRead(id);
            r.future().completeExceptionally(e);
        }
    }

    /**
     * Completes the reads a quorum round confirmed: each waits for its read index to be applied,
     * those of one index (a round's, usually all of them) handed to the FSM runner together.
     */
    private void confirmReads(List<ReadState> confirmed) {
        long index = 0;
        List<CompletableFuture<Long>> waiting = new ArrayList<>();
        for (ReadState rs : confirmed) {
            PendingRead read = pending.takeRead(rs.requestId());
            if (read == null) {
                continue;
            }
            if (!read.waitForApply()) {
                read.future().complete(rs.index());
                continue;
            }
            if (rs.index() != index && !waiting.isEmpty()) {
                fsm.whenApplied(index, waiting);
                waiting = new ArrayList<>();
            }
            index = rs.index();
            waiting.add(read.future());
        }
        if (!waiting.isEmpty()) {
            fsm.whenApplied(index, waiting);
        }
    }

    @Override
    public CompletableFuture<Long> addVoter(String id, String address, String apiAddress, long prevIndex, Duration timeout) {
        return changeMembership(new MembershipChange(MembershipChange.Kind.ADD_VOTER, id, address, apiAddress, prevIndex), timeout);
    }

    @Override
    public CompletableFuture<Long> addNonvoter(String id, String address, String apiAddress, long prevIndex, Duration timeout) {
        return changeMembership(new MembershipChange(MembershipChange.Kind.ADD_NONVOTER, id, address, apiAddress, prevIndex), timeout);
    }

    @Override
    public CompletableFuture<Long> removeServer(String id, long prevIndex, Duration timeout) {
        return changeMembership(new MembershipChange(MembershipChange.Kind.REMOVE, id, "-", "", prevIndex), timeout);
    }

    @Override
    public CompletableFuture<Long> demoteVoter(String id, long prevIndex, Duration timeout) {
        return changeMembership(new MembershipChange(MembershipChange.Kind.DEMOTE, id, "-", "", prevIndex), timeout);
    }

    private CompletableFuture<Long> changeMembership(MembershipChange change, Duration timeout) {
        CompletableFuture<Long> future = new CompletableFuture<>();
        submit(future, new ChangeMembership(change, timeout, future));
        return future;
    }

    private void proposeChange(ChangeMembership c) {
        failOnRaftException(c.future(), () -> {
            long index = core.changeMembership(c.change());
            log.info("membership change proposed id={} change={} {} index={}", config.localId(), c.change().kind(),
                    c.change().id(), index);
            pending.addProposal(index, new Proposal(castFuture(c.future()), core.term(), LogType.CONFIGURATION));
            scheduleTimeout(c.future(), c.timeout(), "membership change at index ", index);
        });
    }

    @Override
    public CompletableFuture<Void> leadershipTransfer() {
        return transfer(null);
    }

    @Override
    public CompletableFuture<Void> leadershipTransferToServer(String id, String address) {
        return transfer(id);
    }

    private CompletableFuture<Void> transfer(String target) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        submit(future, new TransferLeadership(target, future));
        return future;
    }

    private void startTransfer(TransferLeadership t) {
        failOnRaftException(t.future(), () -> {
            core.transferLeadership(t.target());
            log.info("leadership transfer started id={} target={}", config.localId(),
                    t.target() == null ? "(most up-to-date)" : t.target());
            pending.setTransfer(t.future());
        });
    }

    @Override
    public CompletableFuture<Long> restore(SnapshotMeta meta, InputStream data, Duration timeout) {
        CompletableFuture<Long> future = new CompletableFuture<>();
        io.execute(() -> {
            byte[] bytes;
            try {
                bytes = readRestore(meta, data);
            } catch (IOException | RuntimeException e) {
                future.completeExceptionally(e);
                return;
            }
            // One entry: committed on a quorum like any write, so the restore takes effect on
            // every server at the same index, or on none (a leader that fails first loses it).
            submit(future, new Propose(LogType.RESTORE, bytes, timeout, castFuture(future)));
        });
        return future;
    }

    /** Reads a user snapshot whole (on the I/O executor): it travels as one log entry. */
    private static byte[] readRestore(SnapshotMeta meta, InputStream data) throws IOException {
        if (meta != null && meta.size() > MAX_RESTORE_BYTES) {
            throw new IllegalArgumentException(tooLarge(meta.size()));
        }
        byte[] bytes = data.readNBytes(MAX_RESTORE_BYTES + 1);
        if (bytes.length > MAX_RESTORE_BYTES) {
            throw new IllegalArgumentException(tooLarge(bytes.length));
        }
        return bytes;
    }

    private static String tooLarge(long size) {
        return "a snapshot of " + size + " bytes is larger than a restore into a running cluster takes (" + MAX_RESTORE_BYTES
                + " bytes, one log entry); build a new cluster from it with --restore-from instead";
    }

    @Override
    public CompletableFuture<Void> bootstrapCluster(Configuration configuration) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        submit(future, new Bootstrap(configuration, future));
        return future;
    }

    private void bootstrap(Bootstrap b) {
        failOnRaftException(b.future(), () -> {
            core.bootstrap(b.configuration());
            log.info("bootstrapped new cluster id={} configuration={}", config.localId(), b.configuration().servers());
            b.future().complete(null);
        });
    }

    @Override
    public CompletableFuture<SnapshotHandle> snapshot() {
        if (!running) {
            return CompletableFuture.failedFuture(new RaftShutdownException(false));
        }
        return snapshotter.snapshot();
    }

    // ---------------------------------------------------------------- state

    @Override
    public RaftState state() {
        return state;
    }

    @Override
    public Optional<Server> leader() {
        return Optional.ofNullable(leader);
    }

    @Override
    public Configuration configuration() {
        return stats.latestConfiguration();
    }

    @Override
    public long appliedIndex() {
        return fsm.appliedIndex();
    }

    @Override
    public RaftStats stats() {
        RaftStats s = stats;
        long applied = fsm.appliedIndex();
        return new RaftStats(s.id(), s.state(), s.term(), s.leader(), s.commitIndex(), applied,
                Math.max(0, s.commitIndex() - applied), s.lastLogIndex(), s.lastLogTerm(), s.lastSnapshotIndex(),
                s.lastSnapshotTerm(), s.latestConfiguration(), s.latestConfigurationIndex(), s.lastContact(), s.followers(),
                s.forwardedCommands(), s.forwardedReads());
    }

    @Override
    public void addObserver(Consumer<Observation> observer) {
        observers.add(observer);
    }

    @Override
    public void removeObserver(Consumer<Observation> observer) {
        observers.remove(observer);
    }

    // ---------------------------------------------------------------- shutdown

    @Override
    public CompletableFuture<Void> shutdown() {
        if (running) {
            try {
                post(new Shutdown());
            } catch (RaftShutdownException alreadyStopping) {
                // Another caller got there first.
            }
        }
        return terminated.thenRun(() -> {
            stopPeriodicSnapshots.run();
            transport.close();
            runtime.shutdown();
            state = RaftState.SHUTDOWN;
        });
    }

    private void shutdownOnLoop(RaftShutdownException cause) {
        if (!running) {
            return;
        }
        running = false;
        log.info("raft shutting down id={}", config.localId());
        failAllPending(cause);
        publish();
    }

    private void failAllPending(RaftShutdownException cause) {
        pending.failAll(cause, new RaftShutdownException(false));
        forwarded.failAll(cause, new RaftShutdownException(false));
        CompletableFuture<Void> transfer = pending.takeTransfer();
        if (transfer != null) {
            transfer.completeExceptionally(new RaftShutdownException(false));
        }
        for (ChangeMembership waiting : waitingForConfiguration) {
            waiting.future().completeExceptionally(new RaftShutdownException(false));
        }
        waitingForConfiguration.clear();
    }
}
