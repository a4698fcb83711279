package dev.skiff.raft.core;

/**
 * A leader's replication state for one follower, in ticks of the leader's logical clock.
 *
 * @param id                the follower's server id
 * @param voter             whether it votes in the latest configuration
 * @param matchIndex        highest index known replicated on it (§5.3)
 * @param nextIndex         next index the leader will send it
 * @param ticksSinceContact ticks since it last answered the leader
 */
public record FollowerProgress(String id, boolean voter, long matchIndex, long nextIndex, long ticksSinceContact) {
}
