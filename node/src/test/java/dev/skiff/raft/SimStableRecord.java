package dev.skiff.raft;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;

/**
 * A node's stable record as a shared store keeps it (a DynamoDB item): it outlives the node's
 * disk, and the process that opened it last owns it, so an older process with the same id fails
 * its next write with {@link StableStoreFencedException}, as {@code DynamoStableStore} does.
 */
final class SimStableRecord {

    private final InMemoryStableStore values = new InMemoryStableStore();
    private int owner;

    /** Opens the record for a new process, which takes it over from any earlier one. */
    StableStore open() {
        int me = ++owner;
        return new StableStore() {
            @Override
            public Optional<byte[]> get(String key) throws IOException {
                return values.get(key);
            }

            @Override
            public void setAll(Map<String, byte[]> entries) throws IOException {
                if (owner != me) {
                    throw new StableStoreFencedException("the stable record was opened by a newer process with the same id");
                }
                values.setAll(entries);
            }

            @Override
            public void close() {
            }
        };
    }
}
