package dev.skiff.it.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * @param environment   extra environment variables for every node process (e.g. the AWS
 *                      endpoint overrides that point a node at the emulators)
 * @param tls           whether nodes run with TLS on both ports ({@link #withTls()})
 */
public record ClusterOptions(List<String> nodeFlags, String clusterSecret, Duration clientTimeout,
                             Map<String, String> environment, boolean tls) {

    /** Options without TLS. */
    public ClusterOptions(List<String> nodeFlags, String clusterSecret, Duration clientTimeout,
                          Map<String, String> environment) {
        this(nodeFlags, clusterSecret, clientTimeout, environment, false);
    }

    /**
     * These options with TLS on both ports: the cluster's development CA issues each node a
     * certificate for 127.0.0.1 ({@link ProcessCluster#tls()}), nodes get the {@code --tls-*}
     * flags, and the test clients speak HTTPS, presenting a client certificate.
     */
    public ClusterOptions withTls() {
        return new ClusterOptions(nodeFlags, clusterSecret, clientTimeout, environment, true);
    }

    public ClusterOptions {
        nodeFlags = List.copyOf(nodeFlags);
        Objects.requireNonNull(clientTimeout, "clientTimeout");
        environment = Map.copyOf(environment);
    }

    /**
     * No extra flags, no secret, a 20 s client timeout, no extra environment; TLS only when the
     * tests run with {@code -Dskiff.it.tls=true} (to run any suite, e.g. the linearizability
     * test, over TLS).
     */
    public static ClusterOptions defaults() {
        return new ClusterOptions(List.of(), null, Duration.ofSeconds(20), Map.of(), Boolean.getBoolean("skiff.it.tls"));
    }

    /** These options plus {@code flags} for every node. */
    public ClusterOptions withFlags(String... flags) {
        List<String> all = new ArrayList<>(nodeFlags);
        all.addAll(Arrays.asList(flags));
        return new ClusterOptions(all, clusterSecret, clientTimeout, environment, tls);
    }

    /** These options with the cluster secret {@code secret} (null for none). */
    public ClusterOptions withSecret(String secret) {
        return new ClusterOptions(nodeFlags, secret, clientTimeout, environment, tls);
    }

    /** These options with another client timeout. */
    public ClusterOptions withClientTimeout(Duration timeout) {
        return new ClusterOptions(nodeFlags, clusterSecret, timeout, environment, tls);
    }

    /**
     * These options with ACLs on: every node gets {@code --acl-bootstrap-token-file} with
     * {@code managementToken} (in a 0600 temporary file), and the harness's clients ({@link
     * NodeProcess#client()}) send it, taking it from {@code SKIFF_TOKEN} in the environment
     * (which a node ignores).
     */
    public ClusterOptions withAclToken(String managementToken) {
        try {
            java.nio.file.Path file = java.nio.file.Files.createTempFile("skiff-acl-", ".token",
                    java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            file.toFile().deleteOnExit();
            java.nio.file.Files.writeString(file, managementToken + "\n");
            return withFlags("--acl-bootstrap-token-file", file.toString()).withEnvironment(Map.of("SKIFF_TOKEN", managementToken));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** These options plus the environment variables {@code variables} for every node. */
    public ClusterOptions withEnvironment(Map<String, String> variables) {
        Map<String, String> all = new HashMap<>(environment);
        all.putAll(variables);
        return new ClusterOptions(nodeFlags, clusterSecret, clientTimeout, all, tls);
    }
}
