package dev.skiff.raft;

import java.io.IOException;

/**
 * A snapshot that {@link Raft#snapshot()} has taken and stored.
 *
 * @param meta  what it captures
 * @param store where it is stored
 */
public record SnapshotHandle(SnapshotMeta meta, SnapshotStore store) {

    /** Opens the snapshot for reading (for example to back it up). */
    public OpenSnapshot open() throws IOException {
        return store.open(meta.id());
    }
}
