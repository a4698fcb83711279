package dev.skiff.raft;

/** The role a Raft server plays at a moment (hashicorp/raft's {@code RaftState}). */
public enum RaftState {
    /** Replicates from a leader; the state of every server at start. */
    FOLLOWER,
    /** Campaigning to become leader (including the pre-vote phase). */
    CANDIDATE,
    /** Accepts commands and replicates them. */
    LEADER,
    /** Stopped; every call fails with {@link RaftShutdownException}. */
    SHUTDOWN
}
