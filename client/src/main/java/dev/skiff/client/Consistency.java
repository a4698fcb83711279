package dev.skiff.client;

/** Read consistency (API.md §2, after Consul). */
public enum Consistency {
    /** Any node answers from its own state: fastest, may be behind. */
    STALE,
    /** The leader answers under its leader lease. */
    DEFAULT,
    /** The leader confirms its leadership with a quorum first (ReadIndex): linearizable. */
    CONSISTENT;

    /** The query parameter value. */
    String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
