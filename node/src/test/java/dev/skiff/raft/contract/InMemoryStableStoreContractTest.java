package dev.skiff.raft.contract;

import dev.skiff.raft.InMemoryStableStore;
import dev.skiff.raft.StableStore;

class InMemoryStableStoreContractTest extends StableStoreContract {
    @Override
    protected StableStore newStore() {
        return new InMemoryStableStore();
    }
}
