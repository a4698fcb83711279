package dev.skiff.raft.core;

import dev.skiff.raft.RaftState;

/**
 * Volatile role information, reported in a {@link Ready} when it changes.
 *
 * @param state         the role
 * @param term          the current term
 * @param leaderId      the known leader's id, or null
 * @param leaderAddress the known leader's transport address, or null
 */
public record SoftState(RaftState state, long term, String leaderId, String leaderAddress) {
}
