package dev.skiff.raft;

import java.util.Objects;

/**
 * What a stored snapshot is: the point of the log it captures and how to check its data.
 *
 * @param id                 the store's name for it, unique within the store; ordered
 *                           newest-last when sorted as strings is <em>not</em> promised, use
 *                           index and term
 * @param index              index of the last log entry the snapshot includes
 * @param term               term of that entry
 * @param configuration      the latest configuration as of {@code index}
 * @param configurationIndex index of the entry that created that configuration
 * @param size               length of the data in bytes, or -1 while unknown (being written)
 * @param checksum           checksum of the data ({@code "crc32c:" + hex}), or {@code ""} while
 *                           unknown
 */
public record SnapshotMeta(String id, long index, long term, Configuration configuration,
                           long configurationIndex, long size, String checksum) {

    /** @throws IllegalArgumentException on a negative index or term */
    public SnapshotMeta {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(configuration, "configuration");
        checksum = checksum == null ? "" : checksum;
        if (index < 0 || term < 0 || configurationIndex < 0) {
            throw new IllegalArgumentException("snapshot index, term and configurationIndex must be >= 0");
        }
    }

    /** This metadata with the data's final size and checksum. */
    public SnapshotMeta withData(long newSize, String newChecksum) {
        return new SnapshotMeta(id, index, term, configuration, configurationIndex, newSize, newChecksum);
    }
}
