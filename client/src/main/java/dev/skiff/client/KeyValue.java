package dev.skiff.client;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A key, its value and its metadata.
 *
 * @param key         the key
 * @param value       the value's bytes, exactly as stored (the array is the caller's)
 * @param modifyIndex the Raft index of the key's last write: pass it to
 *                    {@link SkiffClient#cas(String, byte[], long)}
 * @param createIndex the Raft index of the write that created the key; 0 when the call did not
 *                    report it ({@link SkiffClient#get} does not, {@link SkiffClient#getDetailed}
 *                    and {@link SkiffClient#list} do)
 */
public record KeyValue(String key, byte[] value, long modifyIndex, long createIndex) {

    /** The value decoded as UTF-8 (malformed bytes become U+FFFD): for text values only. */
    public String valueAsString() {
        return new String(value, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyValue kv && key.equals(kv.key) && Arrays.equals(value, kv.value)
                && modifyIndex == kv.modifyIndex && createIndex == kv.createIndex;
    }

    @Override
    public int hashCode() {
        return key.hashCode() * 31 + Arrays.hashCode(value) + Long.hashCode(modifyIndex);
    }

    @Override
    public String toString() {
        return "KeyValue[" + key + ", " + value.length + " bytes, modifyIndex=" + modifyIndex + ", createIndex=" + createIndex + "]";
    }
}
