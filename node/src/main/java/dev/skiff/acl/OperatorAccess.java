package dev.skiff.acl;

import java.util.Locale;

/**
 * The operator right: membership, snapshots, leadership transfer, {@code /v1/status} and ACL
 * management. {@code READ} looks ({@code GET}), {@code WRITE} also changes.
 */
public enum OperatorAccess {
    /** No operator endpoint. */
    NONE,
    /** The operator endpoints' {@code GET}s that reveal no values. */
    READ,
    /** Every operator endpoint. */
    WRITE;

    /** The name in JSON: {@code none}, {@code read} or {@code write}. */
    public String json() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether this allows what {@code needed} allows. */
    public boolean covers(OperatorAccess needed) {
        return compareTo(needed) >= 0;
    }

    /**
     * Parses {@code none}, {@code read} or {@code write}.
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static OperatorAccess parse(String text) {
        for (OperatorAccess a : values()) {
            if (a.json().equals(text)) {
                return a;
            }
        }
        throw new IllegalArgumentException("operator must be \"none\", \"read\" or \"write\", got \"" + text + "\"");
    }
}
