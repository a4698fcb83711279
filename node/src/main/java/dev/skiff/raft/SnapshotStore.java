package dev.skiff.raft;

import java.io.IOException;
import java.util.List;

/**
 * Durable storage of snapshots (a directory in development, S3 in the cloud), after
 * hashicorp/raft's {@code SnapshotStore}: "a client could implement a shared state store such
 * as S3, allowing new nodes to restore snapshots without streaming from the leader."
 *
 * <p><b>Threading.</b> Implementations are thread-safe: a snapshot may be written while
 * another is read.
 *
 * <p><b>Visibility.</b> A snapshot is listed only once its {@link SnapshotSink#commit()} has
 * returned; a crash while writing leaves nothing visible. Implementations keep the
 * {@code retain} newest snapshots and delete older ones after a commit.
 *
 * @see InMemorySnapshotStore
 */
public interface SnapshotStore {

    /**
     * Starts writing a snapshot of the log up to {@code index}.
     *
     * @param index              the last included log index
     * @param term               its term
     * @param configuration      the configuration as of {@code index}
     * @param configurationIndex index of the entry that created it
     */
    SnapshotSink create(long index, long term, Configuration configuration, long configurationIndex)
            throws IOException;

    /** Complete snapshots, newest first (highest term, then highest index). */
    List<SnapshotMeta> list() throws IOException;

    /**
     * Opens a listed snapshot for reading.
     *
     * @throws java.io.FileNotFoundException if no complete snapshot has this id
     * @throws CorruptLogException           if its metadata is damaged
     */
    OpenSnapshot open(String id) throws IOException;

    /**
     * Deletes a snapshot by id, for retention decided outside the store (the log archive keeps
     * the snapshots its restore points need). Deleting one that is not there does nothing.
     */
    void delete(String id) throws IOException;

    /**
     * Whether every server of the cluster reads this same store (one S3 prefix for all nodes,
     * the "shared state store" above). When true, a leader sends InstallSnapshot without the
     * bytes ({@link dev.skiff.raft.message.InstallSnapshot#inSharedStore()}) and the follower
     * opens the snapshot here by id; if the follower cannot find it there (another store, or
     * retention deleted it), the leader streams the bytes on its next attempt.
     *
     * @return false unless the implementation is shared; the default
     */
    default boolean sharedByCluster() {
        return false;
    }
}
