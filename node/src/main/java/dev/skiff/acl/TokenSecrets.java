package dev.skiff.acl;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.UUID;

/**
 * Token secrets: new ones, their SHA-256 (the only form that is stored or replicated), and
 * constant-time comparison of hashes. Stateless and thread-safe.
 */
public final class TokenSecrets {

    /** The length of a hash, in bytes. */
    public static final int HASH_BYTES = 32;
    /** The shortest secret accepted from a file ({@code --acl-bootstrap-token-file}). */
    public static final int MIN_SECRET_LENGTH = 16;
    /** The longest secret accepted anywhere. */
    public static final int MAX_SECRET_LENGTH = 256;

    private static final SecureRandom RANDOM = new SecureRandom();

    private TokenSecrets() {
    }

    /** A new random secret: a version-4 UUID (122 random bits), the form Consul's secrets have. */
    public static String newSecret() {
        return newUuid();
    }

    /** A new random accessor id (a version-4 UUID): the public name of a token. */
    public static String newAccessorId() {
        return newUuid();
    }

    private static String newUuid() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        b[6] = (byte) ((b[6] & 0x0f) | 0x40);
        b[8] = (byte) ((b[8] & 0x3f) | 0x80);
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = (hi << 8) | (b[i] & 0xff);
            lo = (lo << 8) | (b[8 + i] & 0xff);
        }
        return new UUID(hi, lo).toString();
    }

    /** The SHA-256 of the secret's UTF-8 bytes. */
    public static byte[] hash(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** Compares two hashes in time that depends only on their lengths. */
    public static boolean sameHash(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }

    /** A hash as lowercase hex, for map keys (never for logs). */
    static String hex(byte[] hash) {
        return HexFormat.of().formatHex(hash);
    }

    /**
     * Why {@code secret} cannot be a token secret, or null if it can: 1..{@value #MAX_SECRET_LENGTH}
     * printable ASCII characters without spaces (it travels in an HTTP header). The message
     * never quotes the secret.
     */
    public static String problem(String secret) {
        if (secret == null || secret.isEmpty()) {
            return "the token is empty";
        }
        if (secret.length() > MAX_SECRET_LENGTH) {
            return "the token is longer than " + MAX_SECRET_LENGTH + " characters";
        }
        for (int i = 0; i < secret.length(); i++) {
            char c = secret.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                return "the token has a character that is not printable ASCII (position " + (i + 1) + ")";
            }
        }
        return null;
    }
}
