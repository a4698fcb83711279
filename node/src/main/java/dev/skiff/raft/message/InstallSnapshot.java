package dev.skiff.raft.message;

import dev.skiff.raft.SnapshotMeta;

/**
 * InstallSnapshot RPC (§7): sent to a follower that needs entries the leader has compacted.
 * The snapshot's bytes are not part of the message; the transport streams them alongside it
 * ({@link dev.skiff.raft.Transport#sendSnapshot}), never holding the whole snapshot in memory.
 *
 * @param term        leader's term
 * @param from        leader's id
 * @param fromAddress leader's transport address
 * @param to          receiver's id
 * @param meta        the snapshot: last included index and term, configuration, size, checksum
 * @param inSharedStore true when no bytes follow: the snapshot is in a store every server of
 *                    the cluster reads ({@link dev.skiff.raft.SnapshotStore#sharedByCluster()},
 *                    one S3 prefix), and the receiver opens it there by {@code meta.id()}
 */
public record InstallSnapshot(long term, String from, String fromAddress, String to,
                              SnapshotMeta meta, boolean inSharedStore) implements RaftMessage {

    /** A header whose snapshot bytes the transport streams alongside it. */
    public InstallSnapshot(long term, String from, String fromAddress, String to, SnapshotMeta meta) {
        this(term, from, fromAddress, to, meta, false);
    }

    /** How many bytes of snapshot data follow this header: none by reference, else the size (-1 if unknown). */
    public long dataBytes() {
        return inSharedStore ? 0 : meta.size();
    }

    /** This header, saying that the receiver fetches the snapshot from the shared store itself. */
    public InstallSnapshot byReference() {
        return new InstallSnapshot(term, from, fromAddress, to, meta, true);
    }
}
