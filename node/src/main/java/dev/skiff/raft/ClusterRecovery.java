package dev.skiff.raft;

final class ClusterRecovery {
    private ClusterRecovery() {
    }

    static void recover(RaftConfig config, Fsm fsm, LogStore logs, StableStore stable,
                        SnapshotStore snapshots, Configuration configuration) {
        throw new UnsupportedOperationException("ClusterRecovery: in progress (issue #2)");
    }
}
