package dev.skiff.acl;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One rule: {@code access} on every key that starts with {@code prefix} ("" covers every key).
 *
 * @param prefix a key prefix, at most {@value #MAX_PREFIX_BYTES} bytes of UTF-8
 * @param access what the rule allows there
 */
public record KeyRule(String prefix, KeyAccess access) {

    /** The longest prefix: as long as the longest key. */
    public static final int MAX_PREFIX_BYTES = 1024;

    /** @throws IllegalArgumentException naming the bad argument */
    public KeyRule {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(access, "access");
        if (prefix.getBytes(StandardCharsets.UTF_8).length > MAX_PREFIX_BYTES) {
            throw new IllegalArgumentException("prefix is longer than " + MAX_PREFIX_BYTES + " bytes");
        }
        if (!StandardCharsets.UTF_8.newEncoder().canEncode(prefix)) {
            throw new IllegalArgumentException("prefix has an unpaired surrogate (no UTF-8 form)");
        }
    }
}
