package dev.skiff.raft.message;

/**
 * Tells the receiver to start an election at once, skipping pre-vote (thesis §3.10,
 * leadership transfer). Sent by a leader to a target whose log it has just brought up to date.
 *
 * @param term        leader's term
 * @param from        leader's id
 * @param fromAddress leader's transport address
 * @param to          receiver's id
 */
public record TimeoutNow(long term, String from, String fromAddress, String to) implements RaftMessage {
}
