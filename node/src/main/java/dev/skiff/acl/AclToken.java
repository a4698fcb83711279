package dev.skiff.acl;

import java.util.Arrays;
import java.util.Objects;

/**
 * A token as the cluster stores it: never its secret, only the secret's SHA-256.
 *
 * @param accessorId  the token's public name (a UUID): what lists show and deletes name
 * @param secretHash  SHA-256 of the secret, {@value TokenSecrets#HASH_BYTES} bytes; not copied
 * @param description free text for operators, at most {@value #MAX_DESCRIPTION_LENGTH} characters
 * @param rules       what the token may do
 * @param createIndex the Raft index that created it
 */
public record AclToken(String accessorId, byte[] secretHash, String description, AclRules rules, long createIndex) {

    /** The longest description. */
    public static final int MAX_DESCRIPTION_LENGTH = 256;
    /** The longest accessor id. */
    public static final int MAX_ACCESSOR_ID_LENGTH = 64;

    /** @throws IllegalArgumentException naming the bad argument */
    public AclToken {
        Objects.requireNonNull(accessorId, "accessorId");
        Objects.requireNonNull(secretHash, "secretHash");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(rules, "rules");
        if (!validAccessorId(accessorId)) {
            throw new IllegalArgumentException("accessor id must be 1.." + MAX_ACCESSOR_ID_LENGTH
                    + " characters of [A-Za-z0-9-]");
        }
        if (secretHash.length != TokenSecrets.HASH_BYTES) {
            throw new IllegalArgumentException("secret hash must be " + TokenSecrets.HASH_BYTES + " bytes, got "
                    + secretHash.length);
        }
        if (description.length() > MAX_DESCRIPTION_LENGTH) {
            throw new IllegalArgumentException("description is longer than " + MAX_DESCRIPTION_LENGTH + " characters");
        }
        if (createIndex < 0) {
            throw new IllegalArgumentException("createIndex must be >= 0, got " + createIndex);
        }
    }

    /** Whether {@code id} is a well-formed accessor id: 1..64 of {@code [A-Za-z0-9-]}. */
    public static boolean validAccessorId(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_ACCESSOR_ID_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AclToken t && t.accessorId.equals(accessorId) && Arrays.equals(t.secretHash, secretHash)
                && t.description.equals(description) && t.rules.equals(rules) && t.createIndex == createIndex;
    }

    @Override
    public int hashCode() {
        return Objects.hash(accessorId, Arrays.hashCode(secretHash), description, rules, createIndex);
    }

    /** Leaves the hash out: it has no business in a log line either. */
    @Override
    public String toString() {
        return "AclToken[" + accessorId + " " + rules + "]";
    }
}
