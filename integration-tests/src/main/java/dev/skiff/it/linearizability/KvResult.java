package dev.skiff.it.linearizability;

import java.util.Objects;

/**
 * A definite answer from the key-value API: what the client learned when the request
 * completed with a result (see {@link Outcome.Ok}). Which results fit which {@link KvOp} is
 * checked by {@link Operation}.
 *
 * <p>Immutable and thread-safe.
 */
public sealed interface KvResult {

    /**
     * {@code 200 {"index": N}} to a put or a successful CAS: {@code index} is the Raft index
     * of the write, which becomes the key's modifyIndex.
     */
    record Written(long index) implements KvResult {
        public Written {
            requirePositive(index, "Written.index");
        }
    }

    /**
     * {@code 412 {"modifyIndex": C}} to a CAS (put or delete): the key's modifyIndex was
     * {@code currentModifyIndex} (0 = absent), not the expected one, and nothing changed.
     */
    record Mismatch(long currentModifyIndex) implements KvResult {
        public Mismatch {
            if (currentModifyIndex < 0) {
                throw new IllegalArgumentException(
                        "Mismatch.currentModifyIndex must be >= 0, was " + currentModifyIndex);
            }
        }
    }

    /**
     * {@code 200} to a get: the value and its {@code X-Skiff-Modify-Index} header.
     */
    record Found(String value, long modifyIndex) implements KvResult {
        public Found {
            Objects.requireNonNull(value, "value");
            requirePositive(modifyIndex, "Found.modifyIndex");
        }
    }

    /** {@code 404} to a get: the key is absent. */
    record NotFound() implements KvResult {
    }

    /**
     * {@code 200 {"index": N, "deleted": d}} to a delete. When {@code deleted} is false the
     * key was absent (or, for a CAS delete, had another modifyIndex) and nothing changed;
     * the checker then ignores {@code index}.
     */
    record Deletion(long index, boolean deleted) implements KvResult {
        public Deletion {
            requirePositive(index, "Deletion.index");
        }
    }

    /**
     * {@code 200 true} / {@code 200 false} to a lock {@link KvOp.Acquire} or {@link KvOp.Release}:
     * whether the request applied (the lock was taken or kept by the session, or freed). The
     * answer's body carries no modifyIndex (API.md documents none for it), so the checker
     * leaves the key's index unknown after one that applied.
     */
    record LockResult(boolean applied) implements KvResult {
    }

    private static void requirePositive(long index, String name) {
        if (index < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, was " + index);
        }
    }
}
