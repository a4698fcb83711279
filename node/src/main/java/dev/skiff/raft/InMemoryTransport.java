package dev.skiff.raft;

import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.RaftMessage;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A {@link Transport} over an {@link InMemoryNetwork}, for tests with real threads. Messages
 * are handed to the receiver's handler directly (handlers only queue); snapshots stream on a
 * virtual thread. Messages over a cut link are dropped.
 */
public final class InMemoryTransport implements Transport {

    private final InMemoryNetwork network;
    private final String address;
    private final ExecutorService snapshotSenders = Executors.newVirtualThreadPerTaskExecutor();
    private volatile boolean open;

    InMemoryTransport(InMemoryNetwork network, String address) {
        this.network = network;
        this.address = address;
    }

    @Override
    public String localAddress() {
        return address;
    }

    @Override
    public void start(MessageHandler handler) {
        network.register(address, handler);
        open = true;
    }

    @Override
    public void send(String targetAddress, RaftMessage message) {
        if (!open) {
            return;
        }
        MessageHandler target = network.route(address, targetAddress);
        if (target != null) {
            target.onMessage(message);
        }
    }

    @Override
    public CompletableFuture<Void> sendSnapshot(String targetAddress, InstallSnapshot header, OpenSnapshot snapshot) {
        try {
            return CompletableFuture.runAsync(() -> {
                try (snapshot) {
                    MessageHandler target = open ? network.route(address, targetAddress) : null;
                    if (target == null) {
                        throw new IOException("unreachable: " + targetAddress);
                    }
                    try {
                        target.onSnapshot(header, snapshot.data());
                    } catch (IOException refused) {
                        throw new SnapshotRefusedException(targetAddress + " refused snapshot " + header.meta().id() + ": "
                                + refused.getMessage(), refused);
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, snapshotSenders);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Closed: the contract says the future fails, never the call.
            try {
                snapshot.close();
            } catch (IOException ignored) {
                // Nothing to add to the failed future.
            }
            return CompletableFuture.failedFuture(new IOException("transport is closed", e));
        }
    }

    @Override
    public void close() {
        if (open) {
            open = false;
            network.unregister(address);
        }
        snapshotSenders.shutdownNow();
    }
}
