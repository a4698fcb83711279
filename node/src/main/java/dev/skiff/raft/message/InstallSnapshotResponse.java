package dev.skiff.raft.message;

/**
 * Response to {@link InstallSnapshot}.
 *
 * @param term         receiver's current term
 * @param from         receiver's id
 * @param fromAddress  receiver's transport address
 * @param to           leader's id
 * @param success      true if the receiver installed the snapshot (or already had its state)
 * @param lastLogIndex on success, the last index known to match the leader's log (the
 *                     installed snapshot's index, or the receiver's commit index when it had the
 *                     state already); on failure, the receiver's last log index
 * @param incarnation  the receiver's {@link dev.skiff.raft.LogStore#incarnation() log
 *                     incarnation}: the answer counts only for the membership that records it
 */
public record InstallSnapshotResponse(long term, String from, String fromAddress, String to,
                                      boolean success, long lastLogIndex, String incarnation) implements RaftMessage {
}
