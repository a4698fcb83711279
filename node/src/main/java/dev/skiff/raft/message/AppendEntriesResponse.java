package dev.skiff.raft.message;

/**
 * Response to {@link AppendEntries}.
 *
 * @param term          receiver's current term
 * @param from          receiver's id
 * @param fromAddress   receiver's transport address
 * @param to            leader's id
 * @param success       true if the receiver's log matched at prevLogIndex and now holds the
 *                      entries durably
 * @param lastLogIndex  on success, the index up to which the receiver's log is known to match
 *                      the leader's (prevLogIndex + entries); on failure, the prevLogIndex
 *                      that was rejected (so the leader can tell a stale rejection)
 * @param conflictIndex on failure, the first index of {@code conflictTerm} in the receiver's
 *                      log, or lastLogIndex + 1 if its log is too short; lets the leader skip a
 *                      whole term per round trip (§5.3, "fast back-off")
 * @param conflictTerm  on failure, the term of the receiver's entry at prevLogIndex, or 0
 * @param readSeq       the request's readSeq, echoed
 * @param incarnation   the receiver's {@link dev.skiff.raft.LogStore#incarnation() log
 *                      incarnation}: the answer counts only for the membership that records it
 */
public record AppendEntriesResponse(long term, String from, String fromAddress, String to,
                                    boolean success, long lastLogIndex, long conflictIndex,
                                    long conflictTerm, long readSeq, String incarnation) implements RaftMessage {
}
