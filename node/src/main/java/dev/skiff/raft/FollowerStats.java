package dev.skiff.raft;

import java.time.Duration;

/**
 * What a leader knows of one follower: replication position and when it last answered. For
 * operators (lag per member in {@code /v1/status} and {@code /metrics}) and for dead-member
 * cleanup.
 *
 * @param id          the follower's server id
 * @param voter       whether it votes in the latest configuration
 * @param matchIndex  highest log index known to be replicated on it
 * @param nextIndex   next index the leader will send it
 * @param lastContact time since it last answered the leader
 */
public record FollowerStats(String id, boolean voter, long matchIndex, long nextIndex, Duration lastContact) {
}
