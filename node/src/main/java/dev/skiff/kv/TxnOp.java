package dev.skiff.kv;

import java.util.Arrays;
import java.util.Objects;

/**
 * One operation of a transaction ({@link CoordinationCommand.Txn}): a check, a read or a write
 * of one key or one prefix. Consul's transaction verbs map one to one; the native API's
 * compares are the {@code CHECK_*} verbs.
 *
 * @param verb    what to do
 * @param key     the key, or the prefix for {@code GET_TREE} / {@code DELETE_TREE} (may be "" there)
 * @param value   the value for {@code SET} / {@code CAS} / {@code LOCK} / {@code UNLOCK} /
 *                {@code CHECK_VALUE}; empty otherwise. Not copied
 * @param flags   the flags to store with a written value
 * @param index   the modifyIndex for {@code CAS} / {@code DELETE_CAS} / {@code CHECK_INDEX}
 * @param session the session for {@code LOCK} / {@code UNLOCK} / {@code CHECK_SESSION}; "" otherwise
 */
public record TxnOp(Verb verb, String key, byte[] value, long flags, long index, String session) {

    /** What an operation does; the codes are the binary form's and never change. */
    public enum Verb {
        SET(1, true), CAS(2, true), LOCK(3, true), UNLOCK(4, true), GET(5, false), GET_TREE(6, false),
        CHECK_INDEX(7, false), CHECK_SESSION(8, false), CHECK_NOT_EXISTS(9, false), CHECK_EXISTS(10, false),
        CHECK_VALUE(11, false), DELETE(12, true), DELETE_TREE(13, true), DELETE_CAS(14, true);

        /** The code in {@link CoordinationCodec}'s format. */
        final int code;
        /** Whether the verb changes the state when it succeeds. */
        public final boolean writes;

        Verb(int code, boolean writes) {
            this.code = code;
            this.writes = writes;
        }

        static Verb ofCode(int code) {
            for (Verb v : values()) {
                if (v.code == code) {
                    return v;
                }
            }
            throw new IllegalArgumentException("unknown transaction verb " + code);
        }

        /** Whether the key is a prefix. */
        public boolean onPrefix() {
            return this == GET_TREE || this == DELETE_TREE;
        }
    }

    /** @throws IllegalArgumentException naming the bad argument */
    public TxnOp {
        Objects.requireNonNull(verb, "verb");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(session, "session");
        if (!verb.onPrefix() || !key.isEmpty()) {
            KvKeys.requireValid(key);
        }
        if (value.length > KvCommand.MAX_VALUE_BYTES) {
            throw new IllegalArgumentException("value is " + value.length + " bytes, over " + KvCommand.MAX_VALUE_BYTES);
        }
        if (index < 0) {
            throw new IllegalArgumentException("index must be >= 0, got " + index);
        }
        if ((verb == Verb.LOCK || verb == Verb.UNLOCK || verb == Verb.CHECK_SESSION) && session.isEmpty()) {
            throw new IllegalArgumentException(verb + " needs a session");
        }
    }

    /** An operation with no value, flags, index or session. */
    public static TxnOp of(Verb verb, String key) {
        return new TxnOp(verb, key, new byte[0], 0, 0, "");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TxnOp t && t.verb == verb && t.key.equals(key) && Arrays.equals(t.value, value)
                && t.flags == flags && t.index == index && t.session.equals(session);
    }

    @Override
    public int hashCode() {
        return Objects.hash(verb, key, flags, index, session, Arrays.hashCode(value));
    }

    @Override
    public String toString() {
        return verb + "[" + key + (value.length > 0 ? " " + value.length + "B" : "") + (index > 0 ? " index " + index : "")
                + (session.isEmpty() ? "" : " session " + session) + "]";
    }
}
