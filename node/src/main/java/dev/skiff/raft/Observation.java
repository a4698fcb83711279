package dev.skiff.raft;

import java.util.Optional;

/**
 * Something an observer registered with {@link Raft#addObserver} is told about (the
 * equivalent of hashicorp/raft's {@code LeaderCh} and {@code RegisterObserver}).
 */
public sealed interface Observation {

    /**
     * This server's role or term changed.
     *
     * @param state the new role
     * @param term  the current term
     */
    record StateChanged(RaftState state, long term) implements Observation {
    }

    /**
     * The leader this server knows of changed.
     *
     * @param leader the new leader, or empty when none is known
     * @param term   the term
     */
    record LeaderChanged(Optional<Server> leader, long term) implements Observation {
    }
}
