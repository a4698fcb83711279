package dev.skiff.kv;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;

/**
 * The rules for keys: what a valid key is, and the order keys are kept and listed in.
 *
 * <p>A key is a string whose UTF-8 form is 1 to {@value #MAX_KEY_BYTES} bytes, without unpaired
 * surrogates (they have no UTF-8 form). Keys are ordered by their UTF-8 bytes, compared as
 * unsigned, which is Unicode code point order: the order etcd and Consul list in, and one that
 * does not depend on how Java stores strings. Stateless and thread-safe.
 */
public final class KvKeys {

    /** The longest key, in UTF-8 bytes (API.md §2). */
    public static final int MAX_KEY_BYTES = 1024;

    /**
     * Code point order (equal to unsigned UTF-8 byte order) on strings. Not consistent with
     * {@link String#compareTo}, which orders UTF-16 code units: it puts a supplementary
     * character (a surrogate pair, D800–DFFF) before U+E000–U+FFFF, whose code points are lower.
     */
    public static final Comparator<String> ORDER = KvKeys::compare;

    private KvKeys() {
    }

    /**
     * Checks that {@code key} is a valid key.
     *
     * @return the length of its UTF-8 form
     * @throws IllegalArgumentException naming what is wrong: null, empty, too long, or an
     *                                  unpaired surrogate
     */
    public static int requireValid(String key) {
        if (key == null) {
            throw new IllegalArgumentException("key must not be null");
        }
        int bytes = utf8Length(key);
        if (bytes == 0) {
            throw new IllegalArgumentException("key must not be empty");
        }
        if (bytes > MAX_KEY_BYTES) {
            throw new IllegalArgumentException(
                    "key is " + bytes + " UTF-8 bytes, longer than the limit of " + MAX_KEY_BYTES);
        }
        return bytes;
    }

    /**
     * Decodes the UTF-8 form of a key, strictly (malformed bytes are an error, never replaced).
     *
     * @throws IllegalArgumentException if the bytes are not well-formed UTF-8 or the key is not
     *                                  valid
     */
    public static String decode(byte[] utf8, int offset, int length) {
        String key;
        if (isAscii(utf8, offset, length)) {
            // The common case, and one where every byte sequence is well-formed.
            key = new String(utf8, offset, length, StandardCharsets.US_ASCII);
        } else {
            try {
                key = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(utf8, offset, length))
                        .toString();
            } catch (CharacterCodingException e) {
                throw new IllegalArgumentException("key is not well-formed UTF-8", e);
            }
        }
        requireValid(key);
        return key;
    }

    /** The UTF-8 form of a valid key. */
    static byte[] encode(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    private static boolean isAscii(byte[] bytes, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            if (bytes[i] < 0) {
                return false;
            }
        }
        return true;
    }

    /** The UTF-8 length of {@code s}; an unpaired surrogate (no UTF-8 form) is an error. */
    private static int utf8Length(String s) {
        int bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(
                        "key has an unpaired surrogate at char " + i + " (not valid Unicode)");
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    private static int compare(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
            if (x != y) {
                return Integer.compare(codePointRank(x), codePointRank(y));
            }
        }
        return Integer.compare(a.length(), b.length());
    }

    /**
     * Maps a UTF-16 code unit to a rank in code point order: surrogates (D800–DFFF) move above
     * E000–FFFF, since the code points they encode are all above FFFF. Comparing ranks at the
     * first differing unit then orders strings by code point.
     */
    private static int codePointRank(char c) {
        if (c < 0xD800) {
            return c;
        }
        return c >= 0xE000 ? c - 0x800 : c + 0x2000;
    }
}
