package dev.skiff.raft.contract;

import dev.skiff.raft.InMemoryLogStore;
import dev.skiff.raft.LogStore;

class InMemoryLogStoreContractTest extends LogStoreContract {
    @Override
    protected LogStore newStore() {
        return new InMemoryLogStore();
    }
}
