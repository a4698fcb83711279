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

    /**
     * The server stopped because of an error it cannot recover from (a corrupt log, a fenced
     * stable store, a bug). The process should exit and an operator look at the cause.
     *
     * @param cause what went wrong
     */
    record Fatal(Throwable cause) implements Observation {
    }

    /**
     * A storage back-end started or stopped failing: the log (and stable store) when a write
     * fails — the leader then refuses writes until it recovers — or the snapshot store when a
     * snapshot cannot be stored. Reported on each change, not on every failure.
     *
     * @param component {@code "log"} or {@code "snapshots"}
     * @param problem   the failure, or empty once the component works again
     */
    record StorageHealth(String component, Optional<String> problem) implements Observation {
    }
}
