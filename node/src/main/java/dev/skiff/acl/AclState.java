package dev.skiff.acl;

import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The replicated token table, immutable: every change makes a new one (tokens are few and
 * change rarely, so a copy per change is cheap and reads never lock). Thread-safe.
 */
public final class AclState {

    private static final AclState EMPTY = new AclState(new TreeMap<>(), new HashMap<>());

    private final Map<String, AclToken> byAccessor;
    private final Map<String, AclToken> byHash;

    private AclState(TreeMap<String, AclToken> byAccessor, HashMap<String, AclToken> byHash) {
        this.byAccessor = Collections.unmodifiableMap(byAccessor);
        this.byHash = byHash;
    }

    /** No tokens. */
    public static AclState empty() {
        return EMPTY;
    }

    /**
     * A table of {@code tokens}.
     *
     * @throws IllegalArgumentException if two share an accessor id or a secret hash
     */
    public static AclState of(Collection<AclToken> tokens) {
        TreeMap<String, AclToken> byAccessor = new TreeMap<>();
        HashMap<String, AclToken> byHash = new HashMap<>();
        for (AclToken t : tokens) {
            if (byAccessor.put(t.accessorId(), t) != null) {
                throw new IllegalArgumentException("accessor id " + t.accessorId() + " appears twice");
            }
            if (byHash.put(TokenSecrets.hex(t.secretHash()), t) != null) {
                throw new IllegalArgumentException("two tokens share a secret (" + t.accessorId() + ")");
            }
        }
        return new AclState(byAccessor, byHash);
    }

    /** The tokens, ordered by accessor id. */
    public Collection<AclToken> tokens() {
        return byAccessor.values();
    }

    /** The number of tokens. */
    public int size() {
        return byAccessor.size();
    }

    /** The token with this accessor id. */
    public Optional<AclToken> byAccessorId(String accessorId) {
        return Optional.ofNullable(byAccessor.get(accessorId));
    }

    /**
     * The token whose secret hashes to {@code secretHash}. The map lookup's timing depends only
     * on the presented hash (never on a stored secret); the match is then confirmed in constant
     * time.
     */
    public Optional<AclToken> bySecretHash(byte[] secretHash) {
        AclToken t = byHash.get(TokenSecrets.hex(secretHash));
        return t != null && TokenSecrets.sameHash(t.secretHash(), secretHash) ? Optional.of(t) : Optional.empty();
    }

    /** The table after {@code command}, committed at {@code index}, and what it did. Deterministic. */
    public Applied apply(AclCommand command, long index) {
        return switch (command) {
            case AclCommand.CreateToken c -> create(c.token(), index);
            case AclCommand.DeleteToken d -> delete(d.accessorId(), index);
        };
    }

    private Applied create(AclToken proposed, long index) {
        if (byAccessor.containsKey(proposed.accessorId())) {
            return new Applied(this, new AclResult.Refused("accessor id " + proposed.accessorId() + " already exists"));
        }
        String hash = TokenSecrets.hex(proposed.secretHash());
        if (byHash.containsKey(hash)) {
            return new Applied(this, new AclResult.Refused("another token has the same secret"));
        }
        AclToken token = new AclToken(proposed.accessorId(), proposed.secretHash(), proposed.description(),
                proposed.rules(), index);
        TreeMap<String, AclToken> accessors = new TreeMap<>(byAccessor);
        accessors.put(token.accessorId(), token);
        HashMap<String, AclToken> hashes = new HashMap<>(byHash);
        hashes.put(hash, token);
        return new Applied(new AclState(accessors, hashes), new AclResult.Created(index, token.accessorId()));
    }

    private Applied delete(String accessorId, long index) {
        AclToken gone = byAccessor.get(accessorId);
        if (gone == null) {
            return new Applied(this, new AclResult.Deleted(index, false));
        }
        TreeMap<String, AclToken> accessors = new TreeMap<>(byAccessor);
        accessors.remove(accessorId);
        HashMap<String, AclToken> hashes = new HashMap<>(byHash);
        hashes.remove(TokenSecrets.hex(gone.secretHash()));
        return new Applied(new AclState(accessors, hashes), new AclResult.Deleted(index, true));
    }

    /**
     * The outcome of {@link #apply}.
     *
     * @param state  the table afterwards (this one when nothing changed)
     * @param result what happened
     */
    public record Applied(AclState state, AclResult result) {
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AclState s && s.byAccessor.equals(byAccessor);
    }

    @Override
    public int hashCode() {
        return byAccessor.hashCode();
    }

    @Override
    public String toString() {
        return "AclState" + byAccessor.keySet();
    }
}
