package dev.skiff.raft.core;

/**
 * A single-server membership change (thesis §4.1).
 *
 * @param kind       what to do
 * @param id         the server
 * @param address    its transport address (for additions)
 * @param apiAddress its client address (for additions), or ""
 * @param prevIndex  0, or the configuration index the change is based on
 */
public record MembershipChange(Kind kind, String id, String address, String apiAddress, long prevIndex) {

    /** The kinds of change, after hashicorp/raft's membership API. */
    public enum Kind {
        /** Add a voter, or promote a non-voter. */
        ADD_VOTER,
        /** Add a non-voter (no-op for an existing voter). */
        ADD_NONVOTER,
        /** Remove a server. */
        REMOVE,
        /** Make a voter a non-voter. */
        DEMOTE
    }
}
