package dev.skiff.raft;

final class RaftNode {
    private RaftNode() {
    }

    static Raft start(RaftConfig config, Fsm fsm, LogStore logs, StableStore stable,
                      SnapshotStore snapshots, Transport transport) {
        throw new UnsupportedOperationException("RaftNode: in progress (issue #2)");
    }
}
