package dev.skiff.raft.message;

/**
 * The leader's answer to {@link ReadIndexRequest}.
 *
 * @param term        the leader's term
 * @param from        the leader's id
 * @param fromAddress the leader's transport address
 * @param to          the follower's id
 * @param epoch       the request's epoch, echoed: an answer meant for another process under the
 *                    follower's id (one it replaced, whose request ids it reuses) is not taken
 * @param requestId   the request's id, echoed
 * @param index       the read index, or 0 if the receiver is not (or stopped being) the leader
 */
public record ReadIndexResponse(long term, String from, String fromAddress, String to, long epoch,
                                long requestId, long index) implements RaftMessage {
}
