package dev.skiff.raft;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A {@link StableStore} in memory, for tests and simulations. Thread-safe.
 */
public final class InMemoryStableStore implements StableStore {

    private final Map<String, byte[]> values = new HashMap<>();

    @Override
    public synchronized Optional<byte[]> get(String key) {
        byte[] v = values.get(key);
        return v == null ? Optional.empty() : Optional.of(v.clone());
    }

    @Override
    public synchronized void setAll(Map<String, byte[]> newValues) {
        newValues.forEach((k, v) -> values.put(k, v.clone()));
    }

    @Override
    public void close() {
    }
}
