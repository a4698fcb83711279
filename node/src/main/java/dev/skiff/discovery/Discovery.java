package dev.skiff.discovery;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * The address book of a cluster, replacing serf-style gossip for join: each node registers
 * its id and addresses with a heartbeat; a bootstrap lock lets exactly one of N identical new
 * nodes start the cluster; everyone else joins through the registered members.
 *
 * <p>Implementations are thread-safe. Failures of the backing service surface as
 * {@link IOException}; callers retry with backoff.
 */
public interface Discovery extends AutoCloseable {

    /** How long a registration stays live without a new heartbeat. */
    java.time.Duration DEFAULT_TTL = java.time.Duration.ofSeconds(30);

    /**
     * Registers or refreshes {@code self} (its heartbeat becomes now; expires after the TTL).
     * A node that comes back on new addresses simply registers them.
     */
    void register(Member self) throws IOException;

    /** Live members (heartbeat within the TTL), in no particular order. */
    List<Member> members() throws IOException;

    /** Removes a node's registration (on clean shutdown or removal). */
    void deregister(String nodeId) throws IOException;

    /**
     * Takes the cluster's bootstrap lock for {@code nodeId} if nobody holds it (a conditional
     * write): at most one node ever holds it.
     *
     * @return the id of the holder: {@code nodeId} if this call (or an earlier one by the same
     *         node) took it, another id otherwise
     */
    String acquireBootstrapLock(String nodeId) throws IOException;

    /** The holder of the bootstrap lock, if taken. */
    Optional<String> bootstrapLockHolder() throws IOException;

    /**
     * Records {@code leader} as the cluster's leader unless the table already names a leader of
     * a later term (a conditional write: a deposed leader's late write never hides its
     * successor).
     *
     * @return false if the table holds a later term
     */
    boolean publishLeader(PublishedLeader leader) throws IOException;

    /** The leader last published, if any. */
    Optional<PublishedLeader> publishedLeader() throws IOException;

    @Override
    void close() throws IOException;
}
