package dev.skiff.kv;

import java.util.Arrays;
import java.util.Objects;

/**
 * One key and its value as stored in the {@link KvStateMachine}.
 *
 * <p>Immutable by convention: the {@code value} array is shared with the state machine, its
 * snapshots and every reader (not copied, to keep reads and snapshots free of copies). Nobody
 * may write to it.
 *
 * @param key         the key (see {@link KvKeys})
 * @param value       the value bytes; never null, may be empty
 * @param createIndex the Raft index of the write that created the key (since it was last absent)
 * @param modifyIndex the Raft index of the last write to the key; {@code >= createIndex}
 * @param lockIndex   how many times a session acquired the key's lock (Consul's LockIndex)
 * @param flags       an opaque 64-bit number the client stores with the value (Consul's Flags)
 * @param session     the id of the session holding the key's lock, or null when unlocked
 */
public record KvEntry(String key, byte[] value, long createIndex, long modifyIndex, long lockIndex, long flags,
                      String session) {

    /** @throws IllegalArgumentException if the key is invalid or the indexes are out of order */
    public KvEntry {
        KvKeys.requireValid(key);
        Objects.requireNonNull(value, "value");
        if (createIndex < 1 || modifyIndex < createIndex) {
            throw new IllegalArgumentException("need 1 <= createIndex <= modifyIndex, got createIndex "
                    + createIndex + ", modifyIndex " + modifyIndex);
        }
        if (lockIndex < 0) {
            throw new IllegalArgumentException("lockIndex must be >= 0, got " + lockIndex);
        }
    }

    /** An unlocked entry with no flags. */
    public KvEntry(String key, byte[] value, long createIndex, long modifyIndex) {
        this(key, value, createIndex, modifyIndex, 0, 0, null);
    }

    /** Value equality, including the value bytes. */
    @Override
    public boolean equals(Object o) {
        return o instanceof KvEntry e && e.createIndex == createIndex && e.modifyIndex == modifyIndex
                && e.lockIndex == lockIndex && e.flags == flags && Objects.equals(e.session, session)
                && e.key.equals(key) && Arrays.equals(e.value, value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, createIndex, modifyIndex, lockIndex, flags, session, Arrays.hashCode(value));
    }

    @Override
    public String toString() {
        return "KvEntry[" + key + " " + value.length + "B created " + createIndex
                + " modified " + modifyIndex + (lockIndex > 0 ? " lockIndex " + lockIndex : "")
                + (flags != 0 ? " flags " + flags : "") + (session != null ? " held by " + session : "") + "]";
    }
}
