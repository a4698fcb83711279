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
 */
public record InstallSnapshot(long term, String from, String fromAddress, String to,
                              SnapshotMeta meta) implements RaftMessage {
}
