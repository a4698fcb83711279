package dev.skiff.raft;

import java.io.IOException;
import java.io.InputStream;

/**
 * A stored snapshot opened for reading: its metadata and a stream of its data.
 *
 * <p>The stream verifies the checksum as it goes: if the data is corrupt, a read throws
 * {@link CorruptLogException} no later than at the end of the data, so a consumer that reads
 * to the end never accepts a corrupt snapshot. Close it when done.
 *
 * @param meta the snapshot's metadata
 * @param data the snapshot's bytes, exactly {@code meta.size()} of them
 */
public record OpenSnapshot(SnapshotMeta meta, InputStream data) implements AutoCloseable {

    @Override
    public void close() throws IOException {
        data.close();
    }
}
