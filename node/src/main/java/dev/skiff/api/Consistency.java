package dev.skiff.api;

/** Read consistency modes, after Consul (API.md §2). */
enum Consistency {
    /** Any node answers from its own state; may be stale. */
    STALE,
    /** The leader answers under its leader lease. */
    DEFAULT,
    /** The leader confirms its leadership with a quorum first (ReadIndex): linearizable. */
    CONSISTENT;

    static Consistency parse(String value) {
        if (value == null) {
            return DEFAULT;
        }
        return switch (value) {
            case "stale" -> STALE;
            case "default", "" -> DEFAULT;
            case "consistent" -> CONSISTENT;
            default -> throw ApiException.badRequest("consistency must be stale, default or consistent, got '" + value + "'");
        };
    }
}
