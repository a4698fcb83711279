package dev.skiff.discovery;

import java.time.Instant;
import java.util.Objects;

/**
 * One registration in a {@link Discovery} table.
 *
 * @param id          the node's id
 * @param raftAddress where its raft port is reachable, host:port
 * @param apiAddress  where its client API is reachable, host:port
 * @param heartbeat   when it last registered
 */
public record Member(String id, String raftAddress, String apiAddress, Instant heartbeat) {

    /** @throws NullPointerException if a field is null */
    public Member {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(raftAddress, "raftAddress");
        Objects.requireNonNull(apiAddress, "apiAddress");
        Objects.requireNonNull(heartbeat, "heartbeat");
    }
}
