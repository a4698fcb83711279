package dev.skiff.raft;

import java.util.Objects;

/**
 * One member of a cluster configuration.
 *
 * <p>Immutable and thread-safe.
 *
 * @param id         stable, unique identity of the server; never reused for another machine's
 *                   data (1..255 bytes of UTF-8)
 * @param address    where the server's {@link Transport} listens, for example {@code host:port}
 * @param suffrage   whether the server votes
 * @param apiAddress the client-facing address the application publishes for this server, or
 *                   {@code ""}; opaque to Raft, replicated with the configuration so that every
 *                   node can find, for instance, the leader's client endpoint
 */
public record Server(String id, String address, Suffrage suffrage, String apiAddress) {

    /** Longest accepted id, in bytes of UTF-8: keeps ids cheap to put in every message. */
    public static final int MAX_ID_BYTES = 255;

    /** @throws IllegalArgumentException if the id or address is empty or too long */
    public Server {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(suffrage, "suffrage");
        apiAddress = apiAddress == null ? "" : apiAddress;
        if (id.isEmpty() || id.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_ID_BYTES) {
            throw new IllegalArgumentException("server id must be 1.." + MAX_ID_BYTES + " bytes: '" + id + "'");
        }
        if (address.isEmpty()) {
            throw new IllegalArgumentException("server " + id + ": address must not be empty");
        }
    }

    /** A voter with no client address. */
    public static Server voter(String id, String address) {
        return new Server(id, address, Suffrage.VOTER, "");
    }

    /** A non-voter with no client address. */
    public static Server nonvoter(String id, String address) {
        return new Server(id, address, Suffrage.NONVOTER, "");
    }

    /** True when this server votes. */
    public boolean isVoter() {
        return suffrage == Suffrage.VOTER;
    }

    /** This server with another suffrage. */
    public Server withSuffrage(Suffrage newSuffrage) {
        return new Server(id, address, newSuffrage, apiAddress);
    }
}
