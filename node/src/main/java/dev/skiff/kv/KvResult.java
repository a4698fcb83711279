package dev.skiff.kv;

/**
 * What applying one {@link KvCommand} did: the response {@link KvStateMachine#apply} returns
 * for each committed entry (never an exception). Every result consumes its Raft index, whether
 * or not it changed the state.
 */
public sealed interface KvResult {

    /**
     * A put was applied.
     *
     * @param index the entry's Raft index: the key's new modifyIndex
     */
    record Written(long index) implements KvResult {
    }

    /**
     * A delete was applied.
     *
     * @param index   the entry's Raft index
     * @param existed whether the key was there (and is now gone)
     */
    record Deleted(long index, boolean existed) implements KvResult {
    }

    /**
     * A put or delete with a CAS index did nothing because the key's modifyIndex differs.
     *
     * @param currentModifyIndex the key's modifyIndex, or 0 if the key is absent
     */
    record CasFailed(long currentModifyIndex) implements KvResult {
    }

    /**
     * The entry was not applied: its bytes are not a command this version understands, or it
     * came out of order. Deterministic (every server rejects the same entry the same way);
     * seeing one means a bug or a version mismatch, never bad client input, which the API
     * rejects before proposing.
     *
     * @param reason what is wrong, for logs
     */
    record Rejected(String reason) implements KvResult {
    }
}
