package dev.skiff.raft.contract;

import dev.skiff.raft.InMemorySnapshotStore;
import dev.skiff.raft.SnapshotStore;

class InMemorySnapshotStoreContractTest extends SnapshotStoreContract {
    @Override
    protected SnapshotStore newStore(int retain) {
        return new InMemorySnapshotStore(retain);
    }
}
