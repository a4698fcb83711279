package dev.skiff.raft;

/**
 * Whether a server's vote counts in elections and in the commit quorum.
 *
 * <p>Non-voters receive the log and apply it (read replicas, or new servers catching up
 * before promotion) but are never counted in a quorum and never become candidates.
 */
public enum Suffrage {
    /** Votes in elections, counts toward the commit quorum, may become leader. */
    VOTER,
    /** Replicates the log without voting or counting toward any quorum. */
    NONVOTER,
    /**
     * Acts as a non-voter until the leader promotes it to {@link #VOTER} once it has caught up
     * (hashicorp/raft's {@code Staging}). A voter that came back with a new data directory is
     * staged, so that it votes again only when it holds every committed entry.
     */
    STAGING
}
