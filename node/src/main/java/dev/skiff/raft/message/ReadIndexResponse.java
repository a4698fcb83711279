package dev.skiff.raft.message;

/**
 * The leader's answer to {@link ReadIndexRequest}.
 *
 * @param term        the leader's term
 * @param from        the leader's id
 * @param fromAddress the leader's transport address
 * @param to          the follower's id
 * @param requestId   the request's id, echoed
 * @param index       the read index, or 0 if the receiver is not (or stopped being) the leader
 */
public record ReadIndexResponse(long term, String from, String fromAddress, String to, long requestId,
                                long index) implements RaftMessage {
}
