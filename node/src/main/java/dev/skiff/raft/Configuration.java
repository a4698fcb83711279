package dev.skiff.raft;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A cluster membership: the servers that take part in replication, and which of them vote.
 *
 * <p>Immutable and thread-safe. Server order is kept as given (it is the order of
 * {@code latest_configuration} in {@link RaftStats}).
 *
 * @param servers the members; ids and addresses are unique
 */
public record Configuration(List<Server> servers) {

    /** The empty configuration of a server that has not been bootstrapped or joined yet. */
    public static final Configuration EMPTY = new Configuration(List.of());

    /** @throws IllegalArgumentException if two servers share an id or an address */
    public Configuration {
        servers = List.copyOf(servers);
        Set<String> ids = new HashSet<>();
        Set<String> addresses = new HashSet<>();
        for (Server s : servers) {
            if (!ids.add(s.id())) {
                throw new IllegalArgumentException("duplicate server id in configuration: " + s.id());
            }
            if (!addresses.add(s.address())) {
                throw new IllegalArgumentException("duplicate server address in configuration: " + s.address());
            }
        }
    }

    /** A configuration of the given servers. */
    public static Configuration of(Server... servers) {
        return new Configuration(List.of(servers));
    }

    /** The server with this id, if it is a member. */
    public Optional<Server> server(String id) {
        for (Server s : servers) {
            if (s.id().equals(id)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /** True if the server with this id is a member with a vote. */
    public boolean isVoter(String id) {
        return server(id).map(Server::isVoter).orElse(false);
    }

    /** The voting members. */
    public List<Server> voters() {
        return servers.stream().filter(Server::isVoter).toList();
    }

    /** True if there are no members. */
    public boolean isEmpty() {
        return servers.isEmpty();
    }

    /** This configuration with {@code server} added, or replacing the member with its id. */
    public Configuration with(Server server) {
        List<Server> next = new ArrayList<>(servers.size() + 1);
        boolean replaced = false;
        for (Server s : servers) {
            if (s.id().equals(server.id())) {
                next.add(server);
                replaced = true;
            } else {
                next.add(s);
            }
        }
        if (!replaced) {
            next.add(server);
        }
        return new Configuration(next);
    }

    /** This configuration without the member that has this id (unchanged if absent). */
    public Configuration without(String id) {
        return new Configuration(servers.stream().filter(s -> !s.id().equals(id)).toList());
    }
}
