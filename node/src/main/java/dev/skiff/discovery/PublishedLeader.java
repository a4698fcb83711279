package dev.skiff.discovery;

import java.time.Instant;
import java.util.Objects;

/**
 * The leader as its discovery table last heard of it: published by the leader itself, so
 * that tools find where to send writes without asking every node. Advisory: a leader that
 * stopped leading may still be listed until the next one publishes; a newer term always
 * replaces an older one, never the other way round.
 *
 * @param id          the leader's id
 * @param raftAddress its raft address, host:port
 * @param apiAddress  its client API address, host:port
 * @param term        the term it leads in
 * @param published   when it published this
 */
public record PublishedLeader(String id, String raftAddress, String apiAddress, long term, Instant published) {

    /** @throws NullPointerException if a field is null; IllegalArgumentException if the term is not positive */
    public PublishedLeader {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(raftAddress, "raftAddress");
        Objects.requireNonNull(apiAddress, "apiAddress");
        Objects.requireNonNull(published, "published");
        if (term < 1) {
            throw new IllegalArgumentException("a leader's term is at least 1, got " + term);
        }
    }
}
