package dev.skiff.raft.message;

/**
 * The leader's answer to {@link ForwardedProposals}: where it appended the batch, or why it did
 * not.
 *
 * @param term        the term the entries were appended in (the leader's term)
 * @param from        the leader's id
 * @param fromAddress the leader's transport address
 * @param to          the follower's id
 * @param epoch       the batch's epoch, echoed: an answer meant for another process under the
 *                    follower's id (one it replaced, whose batch ids it reuses) is not taken
 * @param batchId     the batch's id, echoed
 * @param firstIndex  the index of the batch's first command (the others follow it), or 0 if
 *                    nothing was appended
 * @param refusal     why nothing was appended (not the leader, handing leadership over,
 *                    saturated), or empty when appended
 */
public record ForwardedProposalsResponse(long term, String from, String fromAddress, String to, long epoch,
                                         long batchId, long firstIndex, String refusal) implements RaftMessage {
}
