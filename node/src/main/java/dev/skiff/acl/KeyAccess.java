package dev.skiff.acl;

import java.util.Locale;

/** What a key rule allows on the keys under its prefix. */
public enum KeyAccess {
    /** Nothing: neither read nor write, whatever a shorter prefix allows. */
    DENY,
    /** Get and list. */
    READ,
    /** Get, list, put and delete. */
    WRITE;

    /** The name in JSON: {@code deny}, {@code read} or {@code write}. */
    public String json() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code deny}, {@code read} or {@code write}.
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static KeyAccess parse(String text) {
        for (KeyAccess a : values()) {
            if (a.json().equals(text)) {
                return a;
            }
        }
        throw new IllegalArgumentException("access must be \"read\", \"write\" or \"deny\", got \"" + text + "\"");
    }
}
