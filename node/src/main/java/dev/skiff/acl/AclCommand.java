package dev.skiff.acl;

import java.util.Objects;

/** A change to the token table, proposed through Raft ({@link AclCommandCodec}) and applied by the KV state machine. */
public sealed interface AclCommand {

    /**
     * Adds a token. Its {@code createIndex} is ignored: the entry's Raft index becomes it.
     * Refused (nothing changes) when the accessor id or the secret hash is already there.
     *
     * @param token the token
     */
    record CreateToken(AclToken token) implements AclCommand {
        /** @throws NullPointerException if token is null */
        public CreateToken {
            Objects.requireNonNull(token, "token");
        }
    }

    /**
     * Removes a token; removing an absent one applies and reports that it was not there.
     *
     * @param accessorId the token's accessor id
     */
    record DeleteToken(String accessorId) implements AclCommand {
        /** @throws IllegalArgumentException if the id is malformed */
        public DeleteToken {
            if (!AclToken.validAccessorId(accessorId)) {
                throw new IllegalArgumentException("malformed accessor id");
            }
        }
    }
}
