package dev.skiff.raft;

import java.util.Optional;

/**
 * The operation needs the leader and this server is not it. Nothing was applied.
 * Carries the leader this server knows of, if any, so the caller can retry there.
 */
public class NotLeaderException extends RaftException {

    private static final long serialVersionUID = 1L;

    private final transient Server leader;

    /** @param leader the known leader, or null if none is known */
    public NotLeaderException(Server leader) {
        super(leader == null ? "not the leader; no leader is known"
                : "not the leader; leader is " + leader.id() + " at " + leader.address(), null);
        this.leader = leader;
    }

    /** The leader this server knows of (id, address and api address), if any. */
    public Optional<Server> leader() {
        return Optional.ofNullable(leader);
    }

    @Override
    public boolean outcomeUnknown() {
        return false;
    }
}
