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
 * @param incarnation the {@link LogStore#incarnation()} of the server's log that this
 *                    membership belongs to, or {@code ""} until the leader has learned it; the
 *                    server's votes and acknowledgements count only from that log
 */
public record Server(String id, String address, Suffrage suffrage, String apiAddress, String incarnation) {

    /** Longest accepted id, in bytes of UTF-8: keeps ids cheap to put in every message. */
    public static final int MAX_ID_BYTES = 255;

    /** @throws IllegalArgumentException if the id or address is empty or too long */
    public Server {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(suffrage, "suffrage");
        apiAddress = apiAddress == null ? "" : apiAddress;
        incarnation = incarnation == null ? "" : incarnation;
        if (id.isEmpty() || id.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_ID_BYTES) {
            throw new IllegalArgumentException("server id must be 1.." + MAX_ID_BYTES + " bytes: '" + id + "'");
        }
        if (address.isEmpty()) {
            throw new IllegalArgumentException("server " + id + ": address must not be empty");
        }
    }

    /** A member whose incarnation is not known yet. */
    public Server(String id, String address, Suffrage suffrage, String apiAddress) {
        this(id, address, suffrage, apiAddress, "");
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
        return new Server(id, address, newSuffrage, apiAddress, incarnation);
    }

    /** This server as a member from the log with this incarnation. */
    public Server withIncarnation(String newIncarnation) {
        return new Server(id, address, suffrage, apiAddress, newIncarnation);
    }

    /**
     * True if messages from a server whose log has {@code logIncarnation} count as this
     * member's: the incarnations are equal; or the member was added before the leader heard from
     * it ({@link Incarnations#ADDED}: any log); or this is a founding configuration's entry
     * ({@code ""}: a founded log only, not one filled from others after a data loss).
     */
    public boolean countsFrom(String logIncarnation) {
        if (incarnation.equals(Incarnations.ADDED)) {
            return true;
        }
        return incarnation.isEmpty() ? Incarnations.isFounded(logIncarnation) : incarnation.equals(logIncarnation);
    }

    /** True while the configuration has not recorded which log of this member counts. */
    public boolean incarnationUnrecorded() {
        return incarnation.isEmpty() || incarnation.equals(Incarnations.ADDED);
    }
}
