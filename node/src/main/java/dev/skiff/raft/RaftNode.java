package dev.skiff.raft;

import dev.skiff.raft.core.HardState;
import dev.skiff.raft.core.MembershipChange;
import dev.skiff.raft.core.Outbound;
import dev.skiff.raft.core.RaftCore;
import dev.skiff.raft.core.ReadState;
import dev.skiff.raft.core.Ready;
import dev.skiff.raft.core.SoftState;
import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.RaftMessage;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Implementation notes
 *
 * Threads. One loop thread owns the RaftCore: every public method and every inbound message
 * becomes an item on the loop's queue. The loop drains everything queued (group commit: all
 * proposals that arrived meanwhile go into one Ready and one fsync), catches up the logical
 * clock with System.nanoTime (so a paused process does not believe in a stale lease), then
 * carries out Readies in the order Ready documents: persist, send, hand to the FSM thread.
 * A leader's Readies are the exception (thesis §10.2.1): it sends first and hands the entries
 * to the log writer thread (LogWriter), so the loop keeps proposing, replicating and committing
 * while the disk works; proposals that arrive meanwhile go into the next write. The core counts
 * the leader's own log toward a quorum only when the loop collects the finished write and calls
 * advance. Every other Ready that persists something (hard state, a follower's entries, a
 * reset) is persisted on the loop after the writer has finished what it was given, so the store
 * sees one writer, in order; a Ready with nothing to persist (a commit, heartbeats) never waits.
 * The FSM thread applies committed entries, restores and captures snapshots; snapshot data is
 * written by a third, virtual thread, so neither the loop nor applies wait for snapshot I/O.
 * A timer thread only posts ticks-due and timeouts back to the loop.
 *
 * Futures. Pending operations are keyed by log index (applies, barriers, membership changes)
 * or by request id (reads). The FSM thread completes index-keyed futures as it applies; the
 * loop fails them when leadership is lost (outcome unknown) or on shutdown.
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
 * The {@link Raft} implementation: a {@link RaftCore} driven by a single loop thread. See the
 * implementation notes in the source.
 */
final class RaftNode implements Raft, MessageHandler {

    private static final Logger log = LoggerFactory.getLogger(RaftNode.class);
    /** Most queued items the loop takes before carrying out a Ready: bounds the latency of one batch. */
    private static final int MAX_DRAIN = 4096;
    private static final long STORAGE_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    /** Wakes the loop so that it collects what the log writer finished. */
    private static final Runnable NOTHING = () -> { };

    private record Pending(CompletableFuture<Object> future, long term, LogType type) {
    }

    private final RaftConfig config;
    private final Fsm fsm;
    private final RaftStorage storage;
    private final Transport transport;
    private final RaftCore core;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final Thread loopThread;
    private final ExecutorService fsmThread;
    private final LogWriter logWriter;
    private final ExecutorService snapshotWriter = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService timer;
    private final ExecutorService notifier;
    private final List<Consumer<Observation>> observers = new CopyOnWriteArrayList<>();
    private final long tickNanos;
    private final long startNanos = System.nanoTime();
    private long ticksDone;

    // Loop-owned.
    private final Map<Long, Pending> pendingByIndex = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<Long>> pendingReads = new java.util.HashMap<>();
    private final Map<Long, Boolean> readWaitsForApply = new java.util.HashMap<>();
    private long nextReadId = 1;
    private CompletableFuture<Void> pendingTransfer;
    private boolean restoreInProgress;
    private boolean storageFailed;
    private Ready failedReady;
    /** Leader writes that failed on the log writer (and those after them), to write again in order. */
    private final ArrayDeque<Ready> retryWrites = new ArrayDeque<>();
    private volatile IOException lastStorageError;
    private long storageRetryAt;
    private SoftState lastSoft;

    // FSM-thread-owned.
    private long fsmAppliedTerm;
    private Configuration fsmConfiguration = Configuration.EMPTY;
    private long fsmConfigurationIndex;
    private final List<Map.Entry<Long, CompletableFuture<Long>>> waitingForApply = new ArrayList<>();

    // Published state for readers on any thread.
    private volatile RaftState state = RaftState.FOLLOWER;
    private volatile Server leader;
    private volatile long appliedIndex;
    private volatile RaftStats stats;
    private volatile boolean running = true;
    private final AtomicLong lastSnapshotIndex = new AtomicLong();
    private final AtomicBoolean snapshotInProgress = new AtomicBoolean();
    private final AtomicBoolean snapshotsFailing = new AtomicBoolean();
    /** Peers that could not read a snapshot from the shared store: they get the bytes. */
    private final Set<String> peersNeedingSnapshotBytes = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();

    private RaftNode(RaftConfig config, Fsm fsm, RaftStorage storage, Transport transport, RaftCore core,
                     SnapshotMeta startSnapshot) {
        this.config = config;
        this.fsm = fsm;
        this.storage = storage;
        this.transport = transport;
        this.core = core;
        this.tickNanos = config.tickInterval().toNanos();
        String id = config.localId();
        this.logWriter = new LogWriter(storage, "raft-log-writer-" + id, () -> postQuietly(NOTHING));
        this.fsmThread = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("raft-fsm-" + id).daemon().factory());
        ScheduledThreadPoolExecutor timerPool = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().name("raft-timer-" + id).daemon().factory());
        timerPool.setRemoveOnCancelPolicy(true);
        this.timer = timerPool;
        this.notifier = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("raft-notify-" + id).daemon().factory());
        if (startSnapshot != null) {
            appliedIndex = startSnapshot.index();
            fsmAppliedTerm = startSnapshot.term();
            fsmConfiguration = startSnapshot.configuration();
            fsmConfigurationIndex = startSnapshot.configurationIndex();
            lastSnapshotIndex.set(startSnapshot.index());
        }
        this.lastSoft = new SoftState(core.state(), core.term(), core.leaderId(), core.leaderAddress());
        publish();
        this.loopThread = Thread.ofPlatform().name("raft-loop-" + id).daemon().unstarted(this::runLoop);
    }

    static Raft start(RaftConfig config, Fsm fsm, LogStore logs, StableStore stable,
                      SnapshotStore snapshots, Transport transport) throws IOException {
        config.validate();
        RaftStorage storage = new RaftStorage(logs, stable, snapshots);
        SnapshotMeta snapshot = storage.latestSnapshot().orElse(null);
        if (snapshot != null) {
            try (OpenSnapshot open = snapshots.open(snapshot.id())) {
                fsm.restore(open.data());
            }
            log.info("restored snapshot id={} index={} term={}", snapshot.id(), snapshot.index(), snapshot.term());
        }
        if (storage.reconcileLog(snapshot)) {
            log.warn("log did not continue snapshot index={}; discarded it, will catch up from the leader", snapshot.index());
        }
        HardState hs = storage.loadHardState();
        RaftCore core = new RaftCore(config, transport.localAddress(), logs, hs, snapshot,
                new SplittableRandom(System.nanoTime() ^ config.localId().hashCode()));
        RaftNode node = new RaftNode(config, fsm, storage, transport, core, snapshot);
        transport.start(node);
        node.loopThread.start();
        long interval = config.snapshotInterval().toMillis();
        node.timer.scheduleWithFixedDelay(node::maybeSnapshotPeriodically, interval, interval, TimeUnit.MILLISECONDS);
        log.info("raft started id={} address={} term={} lastIndex={} commitIndex={}", config.localId(),
                transport.localAddress(), hs.term(), core.lastIndex(), core.commitIndex());
        return node;
    }

    // ---------------------------------------------------------------- loop

    private void post(Runnable task) {
        if (!running) {
            throw new RaftShutdownException(false);
        }
        queue.add(task);
    }

    private void runLoop() {
        List<Object> batch = new ArrayList<>(256);
        try {
            while (running) {
                long nextTickAt = startNanos + (ticksDone + 1) * tickNanos;
                long waitNanos = Math.max(0, nextTickAt - System.nanoTime());
                Object first = queue.poll(waitNanos, TimeUnit.NANOSECONDS);
                if (first != null) {
                    batch.add(first);
                    queue.drainTo(batch, MAX_DRAIN);
                }
                for (Object item : batch) {
                    handle(item);
                }
                batch.clear();
                catchUpTicks();
                processReadies();
                publish();
            }
        } catch (Throwable t) {
            if (running) {
                log.error("raft loop failed, shutting down id={}", config.localId(), t);
                notifyObservers(new Observation.Fatal(t));
                running = false;
                failAllPending(new RaftShutdownException(true));
            }
        } finally {
            terminated.complete(null);
        }
    }

    private void handle(Object item) {
        switch (item) {
            case RaftMessage m -> core.step(m);
            case Runnable r -> r.run();
            default -> throw new IllegalStateException("unexpected loop item " + item);
        }
    }

    private void catchUpTicks() {
        long due = (System.nanoTime() - startNanos) / tickNanos;
        while (ticksDone < due) {
            ticksDone++;
            core.tick();
        }
    }

    private void processReadies() {
        collectWrites();
        if (storageFailed && System.nanoTime() < storageRetryAt) {
            return;
        }
        if (!retryWrites.isEmpty() && !retryFailedWrites()) {
            return;
        }
        while (failedReady != null || core.hasReady()) {
            // A Ready whose persistence failed is retried as it is: core.ready() has already
            // handed out its hard state and committed entries, and will not produce them again.
            Ready ready = failedReady != null ? failedReady : core.ready();
            // Thesis §10.2.1: a leader writes its log in parallel with replicating it, on the
            // log writer's thread; it counts itself toward a quorum only once its own write is
            // done (core.advance, called when the write completes). Anything else (votes, a
            // changed term, a follower's answers) is sent only after persisting, on this thread.
            boolean sendFirst = failedReady == null && ready.hardState() == null && core.state() == RaftState.LEADER;
            boolean writeAsync = sendFirst && ready.resetLogTo() == 0 && !ready.entries().isEmpty() && !storageFailed;
            if (sendFirst) {
                for (Outbound out : ready.messages()) {
                    send(out);
                }
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
                for (Outbound out : ready.messages()) {
                    send(out);
                }
            }
            if (ready.restore() != null || !ready.committed().isEmpty()) {
                SnapshotMeta restore = ready.restore();
                List<LogEntry> committed = ready.committed();
                fsmThread.execute(() -> applyOnFsmThread(restore, committed));
            }
            if (ready.compactBefore() > 0) {
                if (logWriter.idle()) {
                    try {
                        storage.compact(ready);
                    } catch (IOException e) {
                        log.warn("log compaction failed (will retry at the next snapshot) id={} cause={}", config.localId(), e.toString());
                    }
                } else {
                    logWriter.submitCompaction(ready);
                }
            }
            for (ReadState rs : ready.readStates()) {
                confirmRead(rs);
            }
            if (ready.softState() != null) {
                onSoftStateChange(ready.softState());
            }
            if (ready.transferAborted() && pendingTransfer != null) {
                pendingTransfer.completeExceptionally(new LeadershipTransferException(
                        "the target did not take over leadership within an election timeout"));
                pendingTransfer = null;
            }
            if (!writeAsync) {
                core.advance(ready);
            }
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
            if (failure instanceof IOException io) {
                storageWriteFailed(io);
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
        storageRetryAt = System.nanoTime() + STORAGE_RETRY_NANOS;
        lastStorageError = e;
    }

    private void storageRecovered() {
        if (storageFailed) {
            storageFailed = false;
            log.info("storage recovered, writes resume id={}", config.localId());
            notifyObservers(new Observation.StorageHealth("log", Optional.empty()));
        }
    }

    private void send(Outbound out) {
        if (out.message() instanceof InstallSnapshot header) {
            sendSnapshot(out.address(), header);
            return;
        }
        transport.send(out.address(), out.message());
    }

    /**
     * With a store the whole cluster reads (S3), only the header goes out and the follower
     * fetches the snapshot itself, sparing the leader the download and the upload; a peer that
     * could not find it there gets the bytes streamed on the next attempt.
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
        } catch (IOException e) {
            log.warn("cannot open snapshot {} for {}: {}", meta.id(), peer, e.toString());
            core.snapshotSendFailed(peer);
            return;
        }
        log.info("sending snapshot id={} index={} to={}{}", meta.id(), meta.index(), peer,
                byReference ? " by reference (the follower reads it from the shared snapshot store)" : "");
        transport.sendSnapshot(address, byReference ? header.byReference() : header, open).whenComplete((ok, err) -> {
            if (err == null) {
                peersNeedingSnapshotBytes.remove(peer);
                return;
            }
            if (byReference) {
                peersNeedingSnapshotBytes.add(peer);
                log.warn("{} could not read snapshot {} from the shared store ({}); streaming it next time", peer, meta.id(),
                        err.toString());
            } else {
                log.warn("snapshot transfer to {} failed: {}", peer, err.toString());
            }
            postQuietly(() -> core.snapshotSendFailed(peer));
        });
    }

    private void postQuietly(Runnable task) {
        if (running) {
            queue.add(task);
        }
    }

    private void onSoftStateChange(SoftState soft) {
        boolean wasLeader = lastSoft.state() == RaftState.LEADER;
        boolean leaderChanged = !java.util.Objects.equals(lastSoft.leaderId(), soft.leaderId());
        if (soft.state() != lastSoft.state() || soft.term() != lastSoft.term()) {
            log.info("state change id={} state={} term={} leader={}", config.localId(), soft.state(), soft.term(), soft.leaderId());
            notifyObservers(new Observation.StateChanged(soft.state(), soft.term()));
        }
        if (wasLeader && soft.state() != RaftState.LEADER) {
            RaftException lost = new LeadershipLostException("leadership lost in term " + lastSoft.term());
            for (Iterator<Map.Entry<Long, Pending>> it = pendingByIndex.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<Long, Pending> e = it.next();
                it.remove();
                e.getValue().future().completeExceptionally(lost);
            }
            NotLeaderException notLeader = new NotLeaderException(core.leader());
            pendingReads.values().forEach(f -> f.completeExceptionally(notLeader));
            pendingReads.clear();
            readWaitsForApply.clear();
            if (pendingTransfer != null) {
                pendingTransfer.complete(null);
                pendingTransfer = null;
            }
            restoreInProgress = false;
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
        stats = new RaftStats(config.localId(), state, core.term(), Optional.ofNullable(leader), core.commitIndex(),
                appliedIndex, Math.max(0, core.commitIndex() - appliedIndex), core.lastIndex(), core.lastTerm(),
                snap == null ? core.snapshotIndex() : snap.index(), snap == null ? core.snapshotTerm() : snap.term(),
                core.configuration(), core.configurationIndex(),
                contact < 0 ? Optional.empty() : Optional.of(config.tickInterval().multipliedBy(contact)),
                core.followers().stream().map(f -> new FollowerStats(f.id(), f.voter(), f.matchIndex(), f.nextIndex(),
                        config.tickInterval().multipliedBy(f.ticksSinceContact()))).toList());
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

    // ---------------------------------------------------------------- FSM thread

    private void applyOnFsmThread(SnapshotMeta restore, List<LogEntry> committed) {
        try {
            if (restore != null) {
                try (OpenSnapshot open = storage.snapshots().open(restore.id())) {
                    fsm.restore(open.data());
                }
                appliedIndex = restore.index();
                fsmAppliedTerm = restore.term();
                fsmConfiguration = restore.configuration();
                fsmConfigurationIndex = restore.configurationIndex();
                lastSnapshotIndex.set(restore.index());
                log.info("installed snapshot id={} index={} term={}", restore.id(), restore.index(), restore.term());
            }
            int i = 0;
            while (i < committed.size()) {
                LogEntry e = committed.get(i);
                if (e.index() <= appliedIndex) {
                    i++;
                    continue;
                }
                if (e.type() == LogType.COMMAND) {
                    int end = i;
                    while (end < committed.size() && committed.get(end).type() == LogType.COMMAND
                            && end - i < config.maxApplyBatch()) {
                        end++;
                    }
                    List<LogEntry> commands = committed.subList(i, end);
                    List<Object> responses = applyCommands(commands);
                    for (int k = 0; k < commands.size(); k++) {
                        finishApplied(commands.get(k), responses.get(k));
                    }
                    i = end;
                    continue;
                }
                if (e.type() == LogType.CONFIGURATION) {
                    fsmConfiguration = ConfigurationCodec.decode(e.data());
                    fsmConfigurationIndex = e.index();
                }
                finishApplied(e, e.index());
                i++;
            }
            releaseWaitingReads();
        } catch (IOException | RuntimeException e) {
            log.error("FSM apply failed; stopping id={}", config.localId(), e);
            notifyObservers(new Observation.Fatal(e));
            postQuietly(() -> shutdownOnLoop(new RaftShutdownException(true)));
        }
    }

    private List<Object> applyCommands(List<LogEntry> commands) {
        if (fsm instanceof BatchingFsm batching) {
            List<Object> responses = batching.applyBatch(commands);
            if (responses.size() != commands.size()) {
                throw new IllegalStateException("BatchingFsm returned " + responses.size() + " responses for "
                        + commands.size() + " entries");
            }
            return responses;
        }
        List<Object> responses = new ArrayList<>(commands.size());
        for (LogEntry e : commands) {
            responses.add(fsm.apply(e));
        }
        return responses;
    }

    private void finishApplied(LogEntry e, Object response) {
        appliedIndex = e.index();
        fsmAppliedTerm = e.term();
        Pending p = pendingByIndex.remove(e.index());
        if (p == null) {
            return;
        }
        if (p.term() != e.term()) {
            p.future().completeExceptionally(new LeadershipLostException(
                    "entry " + e.index() + " was replaced by a later leader's entry"));
            return;
        }
        p.future().complete(p.type() == LogType.COMMAND ? new ApplyResult(e.index(), response) : (Object) e.index());
    }

    /** Completes {@code future} with {@code index} once the FSM has applied it (FSM thread). */
    private void whenApplied(long index, CompletableFuture<Long> future) {
        if (appliedIndex >= index) {
            future.complete(index);
        } else {
            waitingForApply.add(Map.entry(index, future));
        }
    }

    private void releaseWaitingReads() {
        if (waitingForApply.isEmpty()) {
            return;
        }
        waitingForApply.removeIf(w -> {
            if (w.getKey() <= appliedIndex) {
                w.getValue().complete(w.getKey());
                return true;
            }
            return false;
        });
    }

    // ---------------------------------------------------------------- snapshots

    private void maybeSnapshotPeriodically() {
        // A slow upload (S3 retrying through an outage) outlasts many intervals: no pile-up, no log spam.
        if (running && !snapshotInProgress.get() && appliedIndex - lastSnapshotIndex.get() >= config.snapshotThreshold()) {
            snapshot().whenComplete((h, err) -> {
                Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                if (cause != null && !(cause instanceof IllegalStateException)) {
                    log.warn("periodic snapshot failed id={}: {}", config.localId(), cause.toString());
                }
            });
        }
    }

    @Override
    public CompletableFuture<SnapshotHandle> snapshot() {
        CompletableFuture<SnapshotHandle> result = new CompletableFuture<>();
        if (!running) {
            result.completeExceptionally(new RaftShutdownException(false));
            return result;
        }
        if (!snapshotInProgress.compareAndSet(false, true)) {
            result.completeExceptionally(new IllegalStateException("a snapshot is already being taken"));
            return result;
        }
        fsmThread.execute(() -> {
            long index = appliedIndex;
            if (index == 0) {
                snapshotInProgress.set(false);
                result.completeExceptionally(new IllegalStateException("nothing to snapshot: no entry applied yet"));
                return;
            }
            long term = fsmAppliedTerm;
            Configuration configuration = fsmConfiguration;
            long configurationIndex = fsmConfigurationIndex;
            FsmSnapshot view = fsm.snapshot();
            snapshotWriter.execute(() -> persistSnapshot(view, index, term, configuration, configurationIndex, result));
        });
        return result;
    }

    private void persistSnapshot(FsmSnapshot view, long index, long term, Configuration configuration,
                                 long configurationIndex, CompletableFuture<SnapshotHandle> result) {
        long started = System.nanoTime();
        SnapshotSink sink = null;
        try {
            sink = storage.snapshots().create(index, term, configuration, configurationIndex);
            view.persist(sink.out());
            SnapshotMeta meta = sink.commit();
            sink = null;
            lastSnapshotIndex.accumulateAndGet(index, Math::max);
            log.info("snapshot taken id={} index={} term={} bytes={} millis={}", meta.id(), index, term, meta.size(),
                    (System.nanoTime() - started) / 1_000_000);
            postQuietly(() -> core.snapshotSaved(meta));
            if (snapshotsFailing.compareAndSet(true, false)) {
                notifyObservers(new Observation.StorageHealth("snapshots", Optional.empty()));
            }
            result.complete(new SnapshotHandle(meta, storage.snapshots()));
        } catch (IOException | RuntimeException e) {
            if (sink != null) {
                sink.cancel();
            }
            if (snapshotsFailing.compareAndSet(false, true)) {
                notifyObservers(new Observation.StorageHealth("snapshots", Optional.of(e.toString())));
            }
            result.completeExceptionally(e);
        } finally {
            view.release();
            snapshotInProgress.set(false);
        }
    }

    @Override
    public void onMessage(RaftMessage message) {
        if (running) {
            queue.add(message);
        }
    }

    @Override
    public void onSnapshot(InstallSnapshot header, InputStream data) throws IOException {
        if (header.inSharedStore()) {
            SnapshotMeta local = findInSharedStore(header);
            log.info("snapshot index={} term={} from={} is in the shared snapshot store; installing it from there",
                    local.index(), local.term(), header.from());
            postQuietly(() -> core.snapshotReceived(header, local));
            return;
        }
        SnapshotMeta meta = header.meta();
        SnapshotSink sink = storage.snapshots().create(meta.index(), meta.term(), meta.configuration(), meta.configurationIndex());
        try {
            data.transferTo(sink.out());
            SnapshotMeta local = sink.commit();
            log.info("received snapshot index={} term={} from={} bytes={}", local.index(), local.term(), header.from(), local.size());
            postQuietly(() -> core.snapshotReceived(header, local));
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
        propose(LogType.COMMAND, command, timeout, future);
        return future;
    }

    @Override
    public CompletableFuture<Long> barrier(Duration timeout) {
        CompletableFuture<Long> future = new CompletableFuture<>();
        propose(LogType.BARRIER, new byte[0], timeout, future);
        return future;
    }

    @SuppressWarnings("unchecked")
    private void propose(LogType type, byte[] data, Duration timeout, CompletableFuture<?> future) {
        CompletableFuture<Object> f = (CompletableFuture<Object>) future;
        submit(f, () -> {
            if (storageFailed) {
                throw new StorageFailureException("cannot write the log: " + lastStorageError, lastStorageError, false);
            }
            if (restoreInProgress) {
                throw new LeadershipTransferInProgressException();
            }
            if (pendingByIndex.size() >= config.maxPendingApplies()) {
                throw new RaftTimeoutException("leader saturated: " + pendingByIndex.size() + " operations pending", false);
            }
            long index = core.propose(type, data);
            pendingByIndex.put(index, new Pending(f, core.term(), type));
            scheduleTimeout(f, timeout, "apply at index ", index);
        });
    }

    /** Runs {@code action} on the loop; a RaftException it throws fails {@code future}. */
    private void submit(CompletableFuture<?> future, Runnable action) {
        try {
            post(() -> {
                try {
                    action.run();
                } catch (RaftException e) {
                    future.completeExceptionally(e);
                }
            });
        } catch (RaftShutdownException e) {
            future.completeExceptionally(e);
        }
    }

    /**
     * Fails {@code future} with an outcome-unknown timeout unless it completes in time. The
     * timer task is cancelled (and, by the timer's policy, removed) when the future completes:
     * otherwise every write would leave a task in the timer's queue for the whole timeout,
     * hundreds of thousands under load, each holding its future until then.
     */
    private void scheduleTimeout(CompletableFuture<?> future, Duration timeout, String what, long index) {
        if (timeout == null || timeout.isZero() || timeout.isNegative() || future.isDone()) {
            return;
        }
        ScheduledFuture<?> task = timer.schedule(() -> {
            future.completeExceptionally(new RaftTimeoutException(what + index + " timed out after " + timeout.toMillis() + " ms",
                    true));
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        future.whenComplete((result, error) -> task.cancel(false));
    }

    @Override
    public CompletableFuture<Void> verifyLeader() {
        CompletableFuture<Long> confirmed = new CompletableFuture<>();
        submit(confirmed, () -> startRead(confirmed, false, false));
        return confirmed.thenApply(i -> null);
    }

    @Override
    public CompletableFuture<Long> readIndex() {
        CompletableFuture<Long> future = new CompletableFuture<>();
        submit(future, () -> startRead(future, false, true));
        return future;
    }

    @Override
    public CompletableFuture<Long> leaseRead() {
        CompletableFuture<Long> future = new CompletableFuture<>();
        submit(future, () -> startRead(future, true, true));
        return future;
    }

    private void startRead(CompletableFuture<Long> future, boolean lease, boolean waitForApply) {
        long id = nextReadId++;
        pendingReads.put(id, future);
        readWaitsForApply.put(id, waitForApply);
        try {
            core.readIndex(id, lease);
        } catch (RaftException e) {
            pendingReads.remove(id);
            readWaitsForApply.remove(id);
            throw e;
        }
    }

    private void confirmRead(ReadState rs) {
        CompletableFuture<Long> future = pendingReads.remove(rs.requestId());
        Boolean waitForApply = readWaitsForApply.remove(rs.requestId());
        if (future == null) {
            return;
        }
        if (Boolean.TRUE.equals(waitForApply)) {
            fsmThread.execute(() -> whenApplied(rs.index(), future));
        } else {
            future.complete(rs.index());
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

    @SuppressWarnings("unchecked")
    private CompletableFuture<Long> changeMembership(MembershipChange change, Duration timeout) {
        CompletableFuture<Long> future = new CompletableFuture<>();
        submit(future, () -> {
            long index = core.changeMembership(change);
            log.info("membership change proposed id={} change={} {} index={}", config.localId(), change.kind(), change.id(), index);
            pendingByIndex.put(index, new Pending((CompletableFuture<Object>) (CompletableFuture<?>) future, core.term(),
                    LogType.CONFIGURATION));
            scheduleTimeout(future, timeout, "membership change at index ", index);
        });
        return future;
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
        submit(future, () -> {
            core.transferLeadership(target);
            log.info("leadership transfer started id={} target={}", config.localId(), target == null ? "(most up-to-date)" : target);
            pendingTransfer = future;
        });
        return future;
    }

    @Override
    public CompletableFuture<Long> restore(SnapshotMeta meta, InputStream data, Duration timeout) {
        CompletableFuture<Long> future = new CompletableFuture<>();
        submit(future, () -> {
            if (core.state() != RaftState.LEADER) {
                throw new NotLeaderException(core.leader());
            }
            if (restoreInProgress) {
                throw new LeadershipTransferInProgressException();
            }
            restoreInProgress = true;
            long index = core.lastIndex() + 1;
            long term = core.term();
            Configuration configuration = core.configuration();
            long configurationIndex = core.configurationIndex();
            snapshotWriter.execute(() -> {
                try {
                    SnapshotSink sink = storage.snapshots().create(index, term, configuration, configurationIndex);
                    try {
                        long limit = meta == null || meta.size() < 0 ? Long.MAX_VALUE : meta.size();
                        copyAtMost(data, sink.out(), limit);
                        SnapshotMeta local = sink.commit();
                        postQuietly(() -> finishRestore(local, timeout, future));
                    } catch (IOException | RuntimeException e) {
                        sink.cancel();
                        throw e;
                    }
                } catch (IOException | RuntimeException e) {
                    postQuietly(() -> restoreInProgress = false);
                    future.completeExceptionally(e);
                }
            });
        });
        return future;
    }

    private static void copyAtMost(InputStream in, java.io.OutputStream out, long limit) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long left = limit;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                break;
            }
            out.write(buffer, 0, n);
            left -= n;
        }
    }

    private void finishRestore(SnapshotMeta local, Duration timeout, CompletableFuture<Long> future) {
        restoreInProgress = false;
        try {
            core.restoreUserSnapshot(local);
        } catch (RaftException e) {
            future.completeExceptionally(e);
            return;
        }
        log.info("user snapshot restored id={} index={}", local.id(), local.index());
        // Like hashicorp: wait for a barrier after the restore, which commits only once a
        // quorum has installed the restored state.
        CompletableFuture<Long> barrier = new CompletableFuture<>();
        propose(LogType.BARRIER, new byte[0], timeout, barrier);
        barrier.whenComplete((i, err) -> {
            if (err != null) {
                future.completeExceptionally(err);
            } else {
                future.complete(local.index());
            }
        });
    }

    @Override
    public CompletableFuture<Void> bootstrapCluster(Configuration configuration) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        submit(future, () -> {
            core.bootstrap(configuration);
            log.info("bootstrapped new cluster id={} configuration={}", config.localId(), configuration.servers());
            future.complete(null);
        });
        return future;
    }

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
        return appliedIndex;
    }

    @Override
    public RaftStats stats() {
        RaftStats s = stats;
        return new RaftStats(s.id(), s.state(), s.term(), s.leader(), s.commitIndex(), appliedIndex,
                Math.max(0, s.commitIndex() - appliedIndex), s.lastLogIndex(), s.lastLogTerm(), s.lastSnapshotIndex(),
                s.lastSnapshotTerm(), s.latestConfiguration(), s.latestConfigurationIndex(), s.lastContact(), s.followers());
    }

    @Override
    public void addObserver(Consumer<Observation> observer) {
        observers.add(observer);
    }

    @Override
    public void removeObserver(Consumer<Observation> observer) {
        observers.remove(observer);
    }

    @Override
    public CompletableFuture<Void> shutdown() {
        if (running) {
            try {
                post(() -> shutdownOnLoop(new RaftShutdownException(true)));
            } catch (RaftShutdownException alreadyStopping) {
                // Another caller got there first.
            }
        }
        return terminated.thenRun(() -> {
            transport.close();
            logWriter.close();
            fsmThread.shutdown();
            timer.shutdownNow();
            snapshotWriter.shutdown();
            notifier.shutdown();
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
        pendingByIndex.values().forEach(p -> p.future().completeExceptionally(cause));
        pendingByIndex.clear();
        RaftShutdownException notApplied = new RaftShutdownException(false);
        pendingReads.values().forEach(f -> f.completeExceptionally(notApplied));
        pendingReads.clear();
        if (pendingTransfer != null) {
            pendingTransfer.completeExceptionally(notApplied);
            pendingTransfer = null;
        }
        Object item;
        while ((item = queue.poll()) != null) {
            if (item instanceof Runnable r) {
                try {
                    r.run();
                } catch (RuntimeException ignored) {
                    // Commands queued behind shutdown fail through their futures.
                }
            }
        }
    }
}
