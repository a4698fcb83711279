package dev.skiff.raft.contract;

import dev.skiff.raft.InMemoryNetwork;
import dev.skiff.raft.Transport;
import java.util.concurrent.atomic.AtomicInteger;

/** The {@link TransportContract} on {@link dev.skiff.raft.InMemoryTransport}. */
class InMemoryTransportContractTest extends TransportContract {

    private final InMemoryNetwork network = new InMemoryNetwork();
    private final AtomicInteger next = new AtomicInteger();

    @Override
    protected Transport newTransport() {
        return network.transport("mem-" + next.incrementAndGet() + ":9001");
    }

    @Override
    protected String unreachableAddress() {
        return "nobody-listens-here:9001";
    }
}
