package dev.skiff.raft.core;

/**
 * What a server must persist before it answers any message (§5.1, §5.2, Figure 2
 * "persistent state"): the current term and the vote cast in it.
 *
 * @param term     current term
 * @param votedFor id of the candidate voted for in {@code term}, or null
 */
public record HardState(long term, String votedFor) {
}
