package dev.skiff.it.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * How a {@link ProcessCluster} starts its nodes.
 *
 * <p>Immutable; the {@code with*} methods return copies.
 *
 * @param nodeFlags     extra {@code skiff node} flags for every node (e.g. {@code --snapshot-threshold 50})
 * @param clusterSecret the raft port's shared secret (written to a file, passed as
 *                      {@code --cluster-secret-file}), or null for none
 * @param clientTimeout how long a {@link NodeClient} request may take; above the node's own
 *                      10 s request timeout by default, so that tests see the node's answer
 */
public record ClusterOptions(List<String> nodeFlags, String clusterSecret, Duration clientTimeout) {

    public ClusterOptions {
        nodeFlags = List.copyOf(nodeFlags);
        Objects.requireNonNull(clientTimeout, "clientTimeout");
    }

    /** No extra flags, no secret, a 20 s client timeout. */
    public static ClusterOptions defaults() {
        return new ClusterOptions(List.of(), null, Duration.ofSeconds(20));
    }

    /** These options plus {@code flags} for every node. */
    public ClusterOptions withFlags(String... flags) {
        List<String> all = new ArrayList<>(nodeFlags);
        all.addAll(Arrays.asList(flags));
        return new ClusterOptions(all, clusterSecret, clientTimeout);
    }

    /** These options with the cluster secret {@code secret} (null for none). */
    public ClusterOptions withSecret(String secret) {
        return new ClusterOptions(nodeFlags, secret, clientTimeout);
    }

    /** These options with another client timeout. */
    public ClusterOptions withClientTimeout(Duration timeout) {
        return new ClusterOptions(nodeFlags, clusterSecret, timeout);
    }
}
