package dev.skiff.discovery;

import dev.skiff.raft.MessageHandler;
import dev.skiff.raft.OpenSnapshot;
import dev.skiff.raft.Transport;
import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.RaftMessage;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link Transport} that sends each message to the address its receiver last registered in
 * the discovery table, falling back to the address Raft gave (the one in the configuration).
 * This is what lets a cluster whose nodes all came back on new addresses find itself again:
 * every configuration still names the old addresses, which nobody listens on any more, but
 * every message carries its receiver's id, and the table maps ids to where they are now.
 *
 * <p><b>Safety.</b> Only routing changes, never a message: a receiver drops any message whose
 * intended receiver id is not its own (see {@link RaftMessage#to()}), and Raft is safe under
 * lost, delayed and misdelivered messages. A wrong or stale table entry can therefore cost
 * availability, never safety. The configuration itself changes only through the leader's
 * ordinary, quorum-committed membership changes ({@link DiscoveryAgent}).
 *
 * <p>Thread-safe: the address map is replaced whole, by {@link #update}.
 */
public final class AddressBookTransport implements Transport {

    private final Transport delegate;
    private volatile Map<String, String> raftAddresses = Map.of();

    /** Routes through {@code delegate}, which it owns (closes). */
    public AddressBookTransport(Transport delegate) {
        this.delegate = delegate;
    }

    /** Replaces the id → raft address map (the live registrations). */
    public void update(Map<String, String> raftAddressById) {
        this.raftAddresses = Map.copyOf(raftAddressById);
    }

    /** Where a message to {@code id} goes: its registered address, else {@code configured}. */
    String route(String id, String configured) {
        return raftAddresses.getOrDefault(id, configured);
    }

    @Override
    public String localAddress() {
        return delegate.localAddress();
    }

    @Override
    public void start(MessageHandler handler) throws IOException {
        delegate.start(handler);
    }

    @Override
    public void send(String targetAddress, RaftMessage message) {
        delegate.send(route(message.to(), targetAddress), message);
    }

    /** Messages to one server id stay together: they share its route. */
    @Override
    public void send(String targetAddress, List<RaftMessage> messages) {
        String to = messages.get(0).to();
        if (messages.stream().allMatch(m -> m.to().equals(to))) {
            delegate.send(route(to, targetAddress), messages);
        } else {
            messages.forEach(m -> send(targetAddress, m));
        }
    }

    @Override
    public CompletableFuture<Void> sendSnapshot(String targetAddress, InstallSnapshot header, OpenSnapshot snapshot) {
        return delegate.sendSnapshot(route(header.to(), targetAddress), header, snapshot);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
