package dev.skiff.raft.message;

/**
 * RequestVote RPC (§5.2), or a pre-vote (thesis §9.6) when {@code preVote} is set: a pre-vote
 * asks "would you vote for me in {@code term}?" without anyone changing their term, so a
 * server that was partitioned away cannot disrupt a healthy cluster when it returns.
 *
 * @param term               candidate's term (for a pre-vote: the term it would campaign in)
 * @param from               candidate's id
 * @param fromAddress        candidate's transport address
 * @param to                 receiver's id
 * @param lastLogIndex       index of the candidate's last log entry (§5.4)
 * @param lastLogTerm        term of that entry
 * @param preVote            true for a pre-vote
 * @param leadershipTransfer true when the election was started by {@link TimeoutNow}: voters
 *                           grant it even while they still hear from the current leader
 */
public record RequestVote(long term, String from, String fromAddress, String to,
                          long lastLogIndex, long lastLogTerm, boolean preVote,
                          boolean leadershipTransfer) implements RaftMessage {
}
