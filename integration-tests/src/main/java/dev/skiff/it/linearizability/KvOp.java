package dev.skiff.it.linearizability;

import java.util.Objects;

/**
 * A client request to the Skiff key-value API (../shared/API.md §2), as the linearizability
 * checker sees it: the key, the kind of request and its arguments, without the result.
 *
 * <p>Values are strings: the tests that record histories write text values (unique per
 * write, e.g. {@code "c3-17"}), which keeps reports readable. Keys and values may be any
 * string, including the empty value; a key must not be empty, as in the API.
 *
 * <p>A "key" is whatever the history treats as one register: usually one key of the API, but a
 * test may also map requests on several keys that always change together (a transaction that
 * writes a group of keys) onto one register named after the group.
 *
 * <p>Immutable and thread-safe.
 */
public sealed interface KvOp {

    /** The key this request reads or writes; each key is checked as an independent register. */
    String key();

    /** {@code PUT /v1/kv/{key}}: unconditional write. */
    record Put(String key, String value) implements KvOp {
        public Put {
            requireKey(key);
            Objects.requireNonNull(value, "value");
        }
    }

    /**
     * {@code PUT /v1/kv/{key}?cas=M}: write only if the key's modifyIndex is {@code
     * expectedModifyIndex}; 0 means "only if the key is absent".
     */
    record Cas(String key, long expectedModifyIndex, String value) implements KvOp {
        public Cas {
            requireKey(key);
            requireIndex(expectedModifyIndex, "expectedModifyIndex");
            Objects.requireNonNull(value, "value");
        }
    }

    /** {@code GET /v1/kv/{key}?consistency=consistent}: a linearizable read. */
    record Get(String key) implements KvOp {
        public Get {
            requireKey(key);
        }
    }

    /** {@code DELETE /v1/kv/{key}}: unconditional delete. */
    record Delete(String key) implements KvOp {
        public Delete {
            requireKey(key);
        }
    }

    /**
     * {@code DELETE /v1/kv/{key}?cas=M}: delete only if the key's modifyIndex is {@code
     * expectedModifyIndex} (at least 1: a key that is absent cannot be deleted).
     */
    record CasDelete(String key, long expectedModifyIndex) implements KvOp {
        public CasDelete {
            requireKey(key);
            if (expectedModifyIndex < 1) {
                throw new IllegalArgumentException(
                        "CasDelete of key \"" + key + "\": expectedModifyIndex must be >= 1, was "
                                + expectedModifyIndex);
            }
        }
    }

    /**
     * {@code PUT /v1/kv/{key}?acquire={session}} with body {@code value} (API.md §7–8): takes the
     * key's lock for {@code session} if it is free or already held by it, and then sets the value.
     */
    record Acquire(String key, String session, String value) implements KvOp {
        public Acquire {
            requireKey(key);
            requireSession(session);
            Objects.requireNonNull(value, "value");
        }
    }

    /**
     * {@code PUT /v1/kv/{key}?release={session}} with body {@code value}: frees the key's lock if
     * {@code session} holds it. As in Consul, a release that applies also sets the value to the
     * body (the server's {@code UNLOCK} writes the request's value).
     */
    record Release(String key, String session, String value) implements KvOp {
        public Release {
            requireKey(key);
            requireSession(session);
            Objects.requireNonNull(value, "value");
        }
    }

    /** Whether this request can change the key (everything but {@link Get}). */
    default boolean isWrite() {
        return !(this instanceof Get);
    }

    private static void requireKey(String key) {
        Objects.requireNonNull(key, "key");
        if (key.isEmpty()) {
            throw new IllegalArgumentException("key must not be empty");
        }
    }

    private static void requireSession(String session) {
        Objects.requireNonNull(session, "session");
        if (session.isEmpty()) {
            throw new IllegalArgumentException("session must not be empty");
        }
    }

    private static void requireIndex(long index, String name) {
        if (index < 0) {
            throw new IllegalArgumentException(name + " must be >= 0, was " + index);
        }
    }
}
