package dev.skiff.raft;

import dev.skiff.raft.core.HardState;
import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Offline recovery of a server whose cluster lost its quorum for good (hashicorp
 * {@code RecoverCluster}): replays the local log into the FSM, snapshots it, and restarts the
 * log with a configuration entry holding the operator's new configuration.
 */
final class ClusterRecovery {

    private static final Logger log = LoggerFactory.getLogger(ClusterRecovery.class);

    private ClusterRecovery() {
    }

    static void recover(RaftConfig config, Fsm fsm, LogStore logs, StableStore stable,
                        SnapshotStore snapshots, Configuration configuration) throws IOException {
        config.validate();
        if (!Raft.hasExistingState(logs, stable, snapshots)) {
            throw new CannotBootstrapException("nothing to recover: the server has no state; bootstrap it instead");
        }
        if (configuration.voters().isEmpty()) {
            throw new CannotBootstrapException("the recovery configuration needs at least one voter");
        }
        RaftStorage storage = new RaftStorage(logs, stable, snapshots);
        SnapshotMeta snapshot = storage.latestSnapshot().orElse(null);
        long index = 0;
        long term = 0;
        if (snapshot != null) {
            try (OpenSnapshot open = snapshots.open(snapshot.id())) {
                fsm.restore(open.data());
            }
            index = snapshot.index();
            term = snapshot.term();
        }
        storage.reconcileLog(snapshot);
        // Every entry in the log is treated as committed: that is what makes this an
        // operator's last resort rather than a safe operation.
        for (long next = Math.max(index + 1, logs.firstIndex()); next <= logs.lastIndex(); ) {
            List<LogEntry> batch = logs.getLogs(next, logs.lastIndex(), 16L << 20);
            if (batch.isEmpty()) {
                break;
            }
            for (LogEntry e : batch) {
                if (e.type() == LogType.COMMAND) {
                    fsm.apply(e);
                }
                index = e.index();
                term = e.term();
            }
            next = index + 1;
        }
        SnapshotSink sink = snapshots.create(index, term, configuration, index);
        FsmSnapshot view = fsm.snapshot();
        try {
            view.persist(sink.out());
            sink.commit();
        } catch (IOException | RuntimeException e) {
            sink.cancel();
            throw e;
        } finally {
            view.release();
        }
        logs.reset(index + 1);
        HardState hs = storage.loadHardState();
        long newTerm = Math.max(hs.term(), term) + 1;
        logs.storeLogs(List.of(new LogEntry(index + 1, newTerm, LogType.CONFIGURATION, ConfigurationCodec.encode(configuration))));
        storage.saveHardState(new HardState(newTerm, null));
        log.warn("recovered cluster state id={} lastIndex={} newConfiguration={}", config.localId(), index + 1,
                configuration.servers());
    }
}
