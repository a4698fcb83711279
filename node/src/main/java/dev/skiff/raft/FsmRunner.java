package dev.skiff.raft;

import dev.skiff.raft.PendingOperations.Proposal;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The part of a node that runs on its FSM thread: applies committed entries (completing the
 * proposals that travel with them), installs snapshots, releases reads once their index is
 * applied, and captures the state machine for snapshots. Everything here runs on one serial
 * executor, so the FSM sees one caller, in commit order.
 */
final class FsmRunner {

    private static final Logger log = LoggerFactory.getLogger(FsmRunner.class);
    /**
     * How many of the latest applied commands keep their response: a follower may hear where
     * the leader placed a forwarded command only after it has applied it (the answer and the
     * entries travel on different connections), and then finds the response here.
     */
    private static final int RECENT = 16384;

    /** What a snapshot captures: a view of the FSM and the log position it reflects. */
    record Capture(FsmSnapshot view, long index, long term, Configuration configuration, long configurationIndex,
                   long appliedBytes) {
    }

    private final String id;
    private final Fsm fsm;
    private final RaftStorage storage;
    private final int maxApplyBatch;
    private final Executor executor;
    private final Consumer<Throwable> fatal;

    // FSM-thread-owned.
    private long appliedTerm;
    private Configuration configuration = Configuration.EMPTY;
    private long configurationIndex;
    private final List<Map.Entry<Long, CompletableFuture<Long>>> waitingForApply = new ArrayList<>();
    private Throwable failure;
    private final long[] recentIndex = new long[RECENT];
    private final long[] recentTerm = new long[RECENT];
    private final Object[] recentResponse = new Object[RECENT];

    private volatile long appliedIndex;
    /** Bytes of entry data applied by this process (since it started): how much log the FSM has taken in. */
    private volatile long appliedBytes;

    /**
     * @param start the snapshot the FSM was restored from at start, or null
     * @param fatal called (on the FSM thread) when the FSM fails: the node must stop
     */
    FsmRunner(String id, Fsm fsm, RaftStorage storage, int maxApplyBatch, Executor executor, SnapshotMeta start,
              Consumer<Throwable> fatal) {
        this.id = id;
        this.fsm = fsm;
        this.storage = storage;
        this.maxApplyBatch = maxApplyBatch;
        this.executor = executor;
        this.fatal = fatal;
        if (start != null) {
            appliedIndex = start.index();
            appliedTerm = start.term();
            configuration = start.configuration();
            configurationIndex = start.configurationIndex();
        }
    }

    /** Highest index applied to the FSM; readable from any thread. */
    long appliedIndex() {
        return appliedIndex;
    }

    /** Bytes of entry data this process has applied; readable from any thread. */
    long appliedBytes() {
        return appliedBytes;
    }

    /**
     * Installs {@code restore} (if not null; from {@code opened} if the snapshot is already open,
     * else from the store), then applies {@code committed}; {@code proposals} is aligned with
     * {@code committed} (null where an entry has none), or null if none has one.
     */
    void apply(SnapshotMeta restore, OpenSnapshot opened, List<LogEntry> committed, List<Proposal> proposals) {
        executor.execute(() -> applyNow(restore, opened, committed, proposals));
    }

    /**
     * Completes each of {@code futures} with {@code index} once the FSM has applied it: on the
     * calling thread if it already has (a read's usual case: nothing to apply since its read
     * index), else on the FSM thread, one hand-off for them all. A hand-off per read woke the FSM
     * thread half a time per read during {@code consistent} reads through a follower.
     */
    void whenApplied(long index, List<CompletableFuture<Long>> futures) {
        if (appliedIndex >= index) {
            futures.forEach(f -> f.complete(index));
            return;
        }
        executor.execute(() -> {
            for (CompletableFuture<Long> future : futures) {
                if (appliedIndex >= index) {
                    future.complete(index);
                } else {
                    waitingForApply.add(Map.entry(index, future));
                }
            }
        });
    }

    /**
     * Completes {@code p}, a proposal whose entry was handed to the FSM before its index was
     * known here, from the responses of the latest commands: as applied if the command at
     * {@code index} has its term, as replaced if another term's, unknown if it is too long ago.
     */
    void completeApplied(long index, Proposal p) {
        executor.execute(() -> {
            int slot = (int) Math.floorMod(index, (long) RECENT);
            if (index > appliedIndex || recentIndex[slot] != index) {
                p.future().completeExceptionally(new RaftTimeoutException("the leader's answer for index " + index
                        + " arrived long after this server had applied it", true));
                return;
            }
            if (recentTerm[slot] != p.term()) {
                p.future().completeExceptionally(new LeadershipLostException(
                        "entry " + index + " was replaced by a later leader's entry"));
                return;
            }
            p.future().complete(new ApplyResult(index, recentResponse[slot]));
        });
    }

    /** Captures the FSM's state and position on the FSM thread and hands it to {@code then}, or fails {@code onError}. */
    void capture(Consumer<Capture> then, Consumer<RuntimeException> onError) {
        executor.execute(() -> {
            if (appliedIndex == 0) {
                onError.accept(new IllegalStateException("nothing to snapshot: no entry applied yet"));
                return;
            }
            if (failure != null) {
                onError.accept(new RaftShutdownException(false));
                return;
            }
            then.accept(new Capture(fsm.snapshot(), appliedIndex, appliedTerm, configuration, configurationIndex,
                    appliedBytes));
        });
    }

    private void applyNow(SnapshotMeta restore, OpenSnapshot opened, List<LogEntry> committed, List<Proposal> proposals) {
        if (failure != null) {
            if (opened != null) {
                try {
                    opened.close();
                } catch (IOException e) {
                    log.debug("closing snapshot failed: {}", e.toString());
                }
            }
            failProposals(proposals, 0);
            return;
        }
        int i = 0;
        try {
            if (restore != null) {
                try (OpenSnapshot open = opened != null ? opened : storage.snapshots().open(restore.id())) {
                    fsm.restore(open.data());
                }
                appliedIndex = restore.index();
                appliedTerm = restore.term();
                configuration = restore.configuration();
                configurationIndex = restore.configurationIndex();
                log.info("installed snapshot id={} index={} term={}", restore.id(), restore.index(), restore.term());
            }
            while (i < committed.size()) {
                LogEntry e = committed.get(i);
                if (e.index() <= appliedIndex) {
                    // Covered by the snapshot just installed: committed, but its response is lost.
                    Proposal p = proposal(proposals, i);
                    if (p != null) {
                        p.future().completeExceptionally(new LeadershipLostException(
                                "entry " + e.index() + " was applied through a snapshot; its outcome is unknown"));
                    }
                    i++;
                    continue;
                }
                if (e.type() == LogType.COMMAND) {
                    int end = i;
                    while (end < committed.size() && committed.get(end).type() == LogType.COMMAND && end - i < maxApplyBatch) {
                        end++;
                    }
                    List<LogEntry> commands = committed.subList(i, end);
                    List<Object> responses = applyCommands(commands);
                    for (int k = 0; k < commands.size(); k++) {
                        LogEntry c = commands.get(k);
                        int slot = (int) Math.floorMod(c.index(), (long) RECENT);
                        recentIndex[slot] = c.index();
                        recentTerm[slot] = c.term();
                        recentResponse[slot] = responses.get(k);
                        finishApplied(c, responses.get(k), proposal(proposals, i + k));
                    }
                    i = end;
                    continue;
                }
                if (e.type() == LogType.RESTORE) {
                    applyRestore(e, proposal(proposals, i));
                    i++;
                    continue;
                }
                if (e.type() == LogType.CONFIGURATION) {
                    configuration = ConfigurationCodec.decode(e.data());
                    configurationIndex = e.index();
                }
                finishApplied(e, e.index(), proposal(proposals, i));
                i++;
            }
            releaseWaitingReads();
        } catch (IOException | RuntimeException e) {
            failure = e;
            log.error("FSM apply failed; stopping id={}", id, e);
            failProposals(proposals, i);
            fatal.accept(e);
        }
    }

    /**
     * Loads a user snapshot the log carries. A snapshot the FSM refuses leaves the state as it
     * was, on every server alike (the FSM is deterministic), so it fails only its proposal: a bad
     * restore must not stop the cluster.
     */
    private void applyRestore(LogEntry e, Proposal p) {
        try {
            fsm.applyRestore(e);
        } catch (IOException refused) {
            log.warn("user snapshot refused by the state machine index={} bytes={} problem=\"{}\"", e.index(),
                    e.data().length, refused.getMessage());
            appliedIndex = e.index();
            appliedTerm = e.term();
            appliedBytes += e.data().length;
            if (p != null) {
                p.future().completeExceptionally(p.term() == e.term() ? new RestoreRefusedException(e.index(), refused)
                        : new LeadershipLostException("entry " + e.index() + " was replaced by a later leader's entry"));
            }
            return;
        }
        log.info("user snapshot restored from the log index={} bytes={}", e.index(), e.data().length);
        finishApplied(e, e.index(), p);
    }

    private static Proposal proposal(List<Proposal> proposals, int i) {
        return proposals == null ? null : proposals.get(i);
    }

    private void failProposals(List<Proposal> proposals, int from) {
        if (proposals == null) {
            return;
        }
        RaftShutdownException stopped = new RaftShutdownException(true);
        for (int k = from; k < proposals.size(); k++) {
            if (proposals.get(k) != null) {
                proposals.get(k).future().completeExceptionally(stopped);
            }
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

    private void finishApplied(LogEntry e, Object response, Proposal p) {
        appliedIndex = e.index();
        appliedTerm = e.term();
        appliedBytes += e.data().length;
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
}
