package dev.skiff.raft.sim;

import dev.skiff.raft.Configuration;
import dev.skiff.raft.ConfigurationCodec;
import dev.skiff.raft.InMemoryLogStore;
import dev.skiff.raft.InMemorySnapshotStore;
import dev.skiff.raft.InMemoryStableStore;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import dev.skiff.raft.OpenSnapshot;
import dev.skiff.raft.RaftConfig;
import dev.skiff.raft.RaftState;
import dev.skiff.raft.RaftStorage;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.SnapshotSink;
import dev.skiff.raft.core.Outbound;
import dev.skiff.raft.core.RaftCore;
import dev.skiff.raft.core.ReadState;
import dev.skiff.raft.core.Ready;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One simulated server: a {@link RaftCore} driven exactly as {@code RaftNode} drives it
 * (persist through {@link RaftStorage}, then send, then apply), over in-memory stores that
 * survive a crash. Everything not persisted (the core, the FSM) is lost on a crash.
 *
 * <p>A leader's Readies are driven as {@code RaftNode} drives them with its log writer: the
 * messages go out first and the entries join a simulated disk queue, written in order, each
 * write completing after a random delay; only then does the core hear of it
 * ({@code advance}), so a leader counts its own log toward a quorum only once it is durable.
 * Any other Ready that persists something first waits for the queue to empty (the store has
 * one writer, in order); one with nothing to persist (a commit, heartbeats) does not wait. A
 * crash keeps a random prefix of the queued writes (written, not yet acknowledged) and loses
 * the rest.
 */
final class SimNode {

    final String id;
    final String address;
    final InMemoryLogStore logs = new InMemoryLogStore();
    final InMemoryStableStore stable = new InMemoryStableStore();
    final InMemorySnapshotStore snapshots = new InMemorySnapshotStore(2);
    final RaftStorage storage = new RaftStorage(logs, stable, snapshots);

    RaftCore core;
    SimFsm fsm;
    boolean up;
    long appliedIndex;
    long appliedTerm;
    Configuration appliedConfiguration = Configuration.EMPTY;
    long appliedConfigurationIndex;
    long lastSnapshotIndex;
    /** Reads confirmed by the core but waiting for the FSM to catch up: {requestId, index}. */
    final List<ReadState> waitingReads = new ArrayList<>();
    /** Leader writes (Readies) and compactions (Compaction) queued on the simulated disk, oldest first. */
    final ArrayDeque<Object> disk = new ArrayDeque<>();
    /** Changes on every start and crash, so a disk completion scheduled before a crash is ignored. */
    int incarnation;
    /** When the simulated disk finishes its last queued write. */
    long diskBusyUntil;

    private record Compaction(Ready ready) {
    }

    SimNode(String id) {
        this.id = id;
        this.address = id + ":7000";
    }

    void start(RaftConfig config, long seed) {
        try {
            fsm = new SimFsm();
            SnapshotMeta snapshot = storage.latestSnapshot().orElse(null);
            appliedIndex = 0;
            appliedTerm = 0;
            appliedConfiguration = Configuration.EMPTY;
            appliedConfigurationIndex = 0;
            lastSnapshotIndex = 0;
            if (snapshot != null) {
                restoreFsm(snapshot);
            }
            storage.reconcileLog(snapshot);
            core = new RaftCore(config.withLocalId(id), address, logs, storage.loadHardState(), snapshot,
                    new SplittableRandom(seed));
            waitingReads.clear();
            disk.clear();
            incarnation++;
            up = true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops the server; of its queued disk writes, the first {@code durable} reached the disk, the rest are lost. */
    void crash(int durable) {
        try {
            for (int i = 0; i < durable && !disk.isEmpty(); i++) {
                Object job = disk.poll();
                if (job instanceof Ready r) {
                    storage.persist(r);
                } else {
                    storage.compact(((Compaction) job).ready());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        disk.clear();
        incarnation++;
        up = false;
        core = null;
        fsm = null;
        waitingReads.clear();
    }

    /** The simulated disk finished its oldest queued job (if a flush has not already done it). */
    void diskWriteDone(SimCluster cluster, int scheduledIncarnation) {
        if (!up || scheduledIncarnation != incarnation || disk.isEmpty()) {
            return;
        }
        completeDiskJob(disk.poll());
        cluster.checkInvariants(this);
        process(cluster);
    }

    private void completeDiskJob(Object job) {
        try {
            if (job instanceof Ready r) {
                storage.persist(r);
                core.advance(r);
            } else {
                storage.compact(((Compaction) job).ready());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits for the disk queue to empty, as the loop waits for its log writer. */
    private void flushDisk() {
        while (!disk.isEmpty()) {
            completeDiskJob(disk.poll());
        }
    }

    private void restoreFsm(SnapshotMeta meta) throws IOException {
        try (OpenSnapshot open = snapshots.open(meta.id())) {
            fsm.restore(open.data());
        }
        appliedIndex = meta.index();
        appliedTerm = meta.term();
        appliedConfiguration = meta.configuration();
        appliedConfigurationIndex = meta.configurationIndex();
        lastSnapshotIndex = meta.index();
    }

    /** Runs the Ready loop until the core is quiet. */
    void process(SimCluster cluster) {
        int rounds = 0;
        while (up && core.hasReady()) {
            if (++rounds > 10_000) {
                throw new SimulationFailure(id + ": ready loop does not settle");
            }
            Ready ready = core.ready();
            boolean sendFirst = ready.hardState() == null && core.state() == RaftState.LEADER;
            boolean writeAsync = sendFirst && ready.resetLogTo() == 0 && !ready.entries().isEmpty();
            try {
                if (sendFirst) {
                    for (Outbound out : ready.messages()) {
                        cluster.send(this, out);
                    }
                }
                if (writeAsync) {
                    disk.add(ready);
                    cluster.scheduleDiskWrite(this);
                } else if (ready.hardState() != null || ready.resetLogTo() > 0 || !ready.entries().isEmpty()) {
                    flushDisk();
                    storage.persist(ready);
                }
                if (!sendFirst) {
                    for (Outbound out : ready.messages()) {
                        cluster.send(this, out);
                    }
                }
                if (ready.restore() != null) {
                    restoreFsm(ready.restore());
                }
                for (LogEntry e : ready.committed()) {
                    apply(cluster, e);
                }
                if (ready.compactBefore() > 0) {
                    if (disk.isEmpty()) {
                        storage.compact(ready);
                    } else {
                        disk.add(new Compaction(ready));
                        cluster.scheduleDiskWrite(this);
                    }
                }
                waitingReads.addAll(ready.readStates());
                if (ready.softState() != null) {
                    cluster.trace(id + " is " + ready.softState().state() + " in term " + ready.softState().term()
                            + (ready.softState().leaderId() == null ? "" : ", leader " + ready.softState().leaderId())
                            + ", voters " + core.configuration().voters().stream().map(s -> s.id()).toList()
                            + " (config index " + core.configurationIndex() + ", last " + core.lastIndex() + ")");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (!writeAsync) {
                core.advance(ready);
            }
            cluster.serveReads(this);
            cluster.checkInvariants(this);
        }
        maybeSnapshot(cluster);
    }

    private void apply(SimCluster cluster, LogEntry e) {
        if (e.index() != appliedIndex + 1) {
            throw new SimulationFailure(id + " applied " + e.index() + " after " + appliedIndex);
        }
        if (e.type() == LogType.COMMAND) {
            fsm.apply(e.data());
        } else if (e.type() == LogType.CONFIGURATION) {
            appliedConfiguration = ConfigurationCodec.decode(e.data());
            appliedConfigurationIndex = e.index();
        }
        appliedIndex = e.index();
        appliedTerm = e.term();
        cluster.applied(this, e);
    }

    private void maybeSnapshot(SimCluster cluster) {
        if (appliedIndex - lastSnapshotIndex < cluster.snapshotThreshold || appliedIndex == 0) {
            return;
        }
        try {
            SnapshotSink sink = snapshots.create(appliedIndex, appliedTerm, appliedConfiguration, appliedConfigurationIndex);
            fsm.persist(sink.out());
            SnapshotMeta meta = sink.commit();
            lastSnapshotIndex = appliedIndex;
            cluster.trace(id + " took snapshot at " + meta.index());
            core.snapshotSaved(meta);
            process(cluster);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
