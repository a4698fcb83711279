package dev.skiff.raft;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-process network for {@link InMemoryTransport}s: an address book plus a set of cut
 * links, so tests can partition servers. Thread-safe.
 */
public final class InMemoryNetwork {

    private final Map<String, MessageHandler> handlers = new ConcurrentHashMap<>();
    private final Set<String> cutLinks = ConcurrentHashMap.newKeySet();

    /** A transport on this network listening at {@code address}. */
    public InMemoryTransport transport(String address) {
        return new InMemoryTransport(this, address);
    }

    void register(String address, MessageHandler handler) {
        if (handlers.putIfAbsent(address, handler) != null) {
            throw new IllegalStateException("address already in use on the in-memory network: " + address);
        }
    }

    void unregister(String address) {
        handlers.remove(address);
    }

    /** The handler at {@code to}, if it is reachable from {@code from}; else null. */
    MessageHandler route(String from, String to) {
        if (cutLinks.contains(from + "->" + to)) {
            return null;
        }
        return handlers.get(to);
    }

    /** Cuts all links between {@code address} and every other address, both ways. */
    public void isolate(String address) {
        for (String other : handlers.keySet()) {
            cut(address, other);
        }
    }

    /** Cuts the link between two addresses, both ways. */
    public void cut(String a, String b) {
        if (!a.equals(b)) {
            cutLinks.add(a + "->" + b);
            cutLinks.add(b + "->" + a);
        }
    }

    /** Restores every link. */
    public void heal() {
        cutLinks.clear();
    }
}
