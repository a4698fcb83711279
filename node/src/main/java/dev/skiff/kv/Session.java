package dev.skiff.kv;

import java.util.Objects;

/**
 * A session as the state machine stores it (Consul's session): the holder of locks on keys.
 * The state machine never expires a session by itself (it reads no clock); the leader's
 * {@code SessionReaper} decides expiry and commits a {@link CoordinationCommand.SessionDestroy}.
 *
 * @param id              the session's id (a UUID chosen by the node that proposed it)
 * @param name            a free-form name, may be empty
 * @param node            the node name the client gave (Consul's Node), may be empty
 * @param ttlMillis       the time after which the session expires unless renewed; 0 = never
 * @param lockDelayMillis how long keys the session held stay unacquirable after it is invalidated
 * @param behavior        what happens to the keys it holds when it is invalidated
 * @param createIndex     the Raft index of the entry that created it
 */
public record Session(String id, String name, String node, long ttlMillis, long lockDelayMillis, Behavior behavior,
                      long createIndex) {

    /** Consul's session behaviors. */
    public enum Behavior {
        /** The held keys are unlocked and keep their values. */
        RELEASE,
        /** The held keys are deleted. */
        DELETE;

        /** The lower-case name used in both APIs. */
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The longest id accepted: a UUID is 36 characters. */
    public static final int MAX_ID_CHARS = 128;

    /** @throws IllegalArgumentException naming the bad argument */
    public Session {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(behavior, "behavior");
        if (id.isEmpty() || id.length() > MAX_ID_CHARS) {
            throw new IllegalArgumentException("session id must have 1.." + MAX_ID_CHARS + " characters");
        }
        if (ttlMillis < 0 || lockDelayMillis < 0) {
            throw new IllegalArgumentException("ttl and lock delay must be >= 0, got " + ttlMillis + " ms and "
                    + lockDelayMillis + " ms");
        }
        if (createIndex < 0) {
            throw new IllegalArgumentException("createIndex must be >= 0, got " + createIndex);
        }
    }
}
