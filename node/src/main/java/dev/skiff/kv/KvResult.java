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

    /**
     * A transaction ran (API.md §8).
     *
     * @param index     the entry's Raft index
     * @param succeeded whether every compare check held (so the success branch ran)
     * @param results   one result per operation of the branch that ran, in order; empty if
     *                  {@code failedOp >= 0}
     * @param failedOp  the position in the branch of the operation that failed, so that nothing
     *                  was applied; -1 when the branch applied
     * @param error     why that operation failed; "" when none did
     */
    record TxnDone(long index, boolean succeeded, java.util.List<TxnResult> results, int failedOp, String error)
            implements KvResult {
        public TxnDone {
            results = java.util.List.copyOf(results);
        }

        /** Whether the branch's operations applied. */
        public boolean applied() {
            return failedOp < 0;
        }
    }

    /**
     * The result of one transaction operation.
     *
     * @param op      the operation
     * @param entries for a read, check or write: the key's entries after it ran (none if absent);
     *                for a delete: empty
     * @param deleted for a delete: how many keys it removed
     */
    record TxnResult(TxnOp op, java.util.List<KvEntry> entries, long deleted) {
        public TxnResult {
            entries = java.util.List.copyOf(entries);
        }
    }

    /**
     * A session was created.
     *
     * @param index the entry's Raft index
     * @param id    the session's id
     */
    record SessionCreated(long index, String id) implements KvResult {
    }

    /**
     * A session was invalidated (or did not exist).
     *
     * @param index   the entry's Raft index
     * @param existed whether it existed
     */
    record SessionDestroyed(long index, boolean existed) implements KvResult {
    }
}
