package dev.skiff.raft.message;

/**
 * Response to {@link RequestVote}.
 *
 * @param term        receiver's current term, or for a granted pre-vote the term asked about
 * @param from        receiver's id
 * @param fromAddress receiver's transport address
 * @param to          candidate's id
 * @param granted     true if the vote (or pre-vote) was granted
 * @param preVote     true if this answers a pre-vote
 * @param incarnation the receiver's {@link dev.skiff.raft.LogStore#incarnation() log
 *                    incarnation}: the answer counts only for the membership that records it
 */
public record RequestVoteResponse(long term, String from, String fromAddress, String to,
                                  boolean granted, boolean preVote, String incarnation) implements RaftMessage {
}
