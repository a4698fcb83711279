package dev.skiff.kv;

/**
 * One key changed by one committed entry: what a watch stream (API.md §8) sends.
 *
 * @param index       the entry's Raft index (several changes may share it: a transaction, a
 *                    session's end)
 * @param key         the key
 * @param value       its new value, or null when the entry deleted it; not copied
 * @param modifyIndex its new modify index (the entry's index), 0 for a delete
 */
public record KvChange(long index, String key, byte[] value, long modifyIndex) {

    /** Whether the entry deleted the key. */
    public boolean deleted() {
        return value == null;
    }
}
