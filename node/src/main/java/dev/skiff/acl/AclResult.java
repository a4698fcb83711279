package dev.skiff.acl;

/** What applying one {@link AclCommand} did (never an exception; every result consumes its index). */
public sealed interface AclResult {

    /**
     * A token was added.
     *
     * @param index      the entry's Raft index, the token's createIndex
     * @param accessorId its accessor id
     */
    record Created(long index, String accessorId) implements AclResult {
    }

    /**
     * A delete was applied.
     *
     * @param index   the entry's Raft index
     * @param existed whether the token was there (and is now gone)
     */
    record Deleted(long index, boolean existed) implements AclResult {
    }

    /**
     * Nothing changed: the accessor id or the secret is taken. Deterministic.
     *
     * @param reason what was refused, naming no secret
     */
    record Refused(String reason) implements AclResult {
    }
}
