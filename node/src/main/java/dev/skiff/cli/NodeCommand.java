package dev.skiff.cli;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code skiff node}: runs one node until SIGTERM or SIGINT (API.md §1). */
@Command(name = "node", mixinStandardHelpOptions = true,
        description = "Run one Skiff node. Every flag can also be set with SKIFF_<FLAG> (e.g. SKIFF_API_ADDR).")
final class NodeCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(NodeCommand.class);

    @Option(names = "--id", required = true, description = "Unique, stable id of this node.")
    String id;
    @Option(names = "--api-addr", defaultValue = "127.0.0.1:8001", description = "Client HTTP API listen address (default ${DEFAULT-VALUE}).")
    String apiAddr;
    @Option(names = "--raft-addr", defaultValue = "127.0.0.1:9001", description = "Node-to-node Raft listen address (default ${DEFAULT-VALUE}).")
    String raftAddr;
    @Option(names = "--data-dir", description = "Directory for the WAL and local state (default ./data/<id>).")
    Path dataDir;
    @Option(names = "--bootstrap", description = "Start a new cluster with this node as its first member (no-op if state exists).")
    boolean bootstrap;
    @Option(names = "--join", split = ",", description = "API URLs of members to ask for admission, retried until done.")
    List<String> join = new ArrayList<>();
    @Option(names = "--discovery", description = "dynamodb://TABLE?cluster=NAME or file:///path: join/bootstrap via a table.")
    String discovery;
    @Option(names = "--snapshots", description = "file:///dir (default <data-dir>/snapshots) or s3://bucket/prefix.")
    String snapshots;
    @Option(names = "--stable", defaultValue = "local", description = "local (default) or dynamodb://TABLE.")
    String stable;
    @Option(names = "--restore-from", description = "s3://bucket/prefix[/snapshot-id] or file:///…: start a new cluster from a snapshot.")
    String restoreFrom;
    @Option(names = "--cluster", description = "Cluster name (key prefix in DynamoDB tables).")
    String cluster;
    @Option(names = "--cluster-secret-file", description = "File holding the raft port's shared secret (or set SKIFF_CLUSTER_SECRET).")
    Path clusterSecretFile;
    @Option(names = "--advertise-api", description = "host:port clients and peers use for the API (needed when binding 0.0.0.0).")
    String advertiseApi;
    @Option(names = "--advertise-raft", description = "host:port peers use for Raft (needed when binding 0.0.0.0).")
    String advertiseRaft;
    @Option(names = "--max-value-bytes", defaultValue = "1048576", description = "Largest accepted value (default ${DEFAULT-VALUE}).")
    int maxValueBytes;
    @Option(names = "--create-tables", description = "Create the DynamoDB tables if missing (development and tests).")
    boolean createTables;

    @Override
    public Integer call() throws Exception {
        NodeSettings settings = settings();
        SkiffNode node = SkiffNode.start(settings);
        Signals.onTermination(node::close);
        try {
            node.stopped.join();
            return 0;
        } catch (java.util.concurrent.CompletionException e) {
            log.error("node stopped after a fatal error: {}", e.getCause().toString());
            System.err.println("skiff: fatal: " + e.getCause().getMessage());
            node.close();
            return Main.EXIT_FAILURE;
        }
    }

    /** Validates the flags; every problem names its flag. */
    NodeSettings settings() throws IOException {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("--id must not be blank");
        }
        HostPort api = HostPort.parse(apiAddr, "--api-addr");
        HostPort raftBind = HostPort.parse(raftAddr, "--raft-addr");
        HostPort apiAdv = advertise(advertiseApi, api, "--advertise-api", "--api-addr");
        HostPort raftAdv = advertise(advertiseRaft, raftBind, "--advertise-raft", "--raft-addr");
        Path dir = dataDir != null ? dataDir : Path.of("data", id);
        Path snapshotsDir = dir.resolve("snapshots");
        if (snapshots != null) {
            if (snapshots.startsWith("file://")) {
                snapshotsDir = Path.of(URI.create(snapshots));
            } else {
                throw unsupported("--snapshots", snapshots);
            }
        }
        if (!"local".equals(stable)) {
            throw unsupported("--stable", stable);
        }
        if (discovery != null) {
            throw unsupported("--discovery", discovery);
        }
        if (restoreFrom != null) {
            throw unsupported("--restore-from", restoreFrom);
        }
        if (maxValueBytes < 1 || maxValueBytes > dev.skiff.kv.KvCommand.MAX_VALUE_BYTES) {
            throw new IllegalArgumentException("--max-value-bytes must be between 1 and "
                    + dev.skiff.kv.KvCommand.MAX_VALUE_BYTES + ", got " + maxValueBytes);
        }
        List<URI> joinUris = new ArrayList<>();
        for (String j : join) {
            String url = j.contains("://") ? j : "http://" + j;
            try {
                URI u = URI.create(url);
                if (u.getHost() == null || u.getPort() < 0) {
                    throw new IllegalArgumentException();
                }
                joinUris.add(u);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--join needs URLs like http://host:port, got '" + j + "'");
            }
        }
        String secret = secret();
        if (secret == null && !raftBind.isLoopback()) {
            log.warn("!!! SECURITY: the raft port {} is reachable beyond this machine and no cluster secret is set: "
                    + "anyone who can reach it can join or disrupt the cluster. Set --cluster-secret-file or SKIFF_CLUSTER_SECRET.",
                    raftBind);
        }
        return new NodeSettings(id, api, raftBind, apiAdv, raftAdv, dir, snapshotsDir, bootstrap, joinUris, secret,
                maxValueBytes, NodeSettings.DEFAULT_REQUEST_TIMEOUT);
    }

    private static IllegalArgumentException unsupported(String flag, String value) {
        return new IllegalArgumentException(flag + " " + value + " is not supported by this build: "
                + "only local storage is available until the S3/DynamoDB modules land (issue #5)");
    }

    private static HostPort advertise(String given, HostPort bind, String flag, String bindFlag) {
        if (given != null) {
            HostPort a = HostPort.parse(given, flag);
            if (a.isWildcard() || a.port() == 0) {
                throw new IllegalArgumentException(flag + " must be a reachable host:port, got '" + given + "'");
            }
            return a;
        }
        if (bind.isWildcard()) {
            throw new IllegalArgumentException(flag + " is required when " + bindFlag + " binds " + bind.host());
        }
        if (bind.port() == 0) {
            throw new IllegalArgumentException(bindFlag + " needs a fixed port (0 is only for tests), or set " + flag);
        }
        return bind;
    }

    private String secret() throws IOException {
        if (clusterSecretFile != null) {
            if (!Files.isReadable(clusterSecretFile)) {
                throw new IllegalArgumentException("--cluster-secret-file " + clusterSecretFile + " is not a readable file");
            }
            String s = Files.readString(clusterSecretFile, StandardCharsets.UTF_8).strip();
            if (s.isEmpty()) {
                throw new IllegalArgumentException("--cluster-secret-file " + clusterSecretFile + " is empty");
            }
            return s;
        }
        String env = System.getenv("SKIFF_CLUSTER_SECRET");
        return env == null || env.isBlank() ? null : env.strip();
    }
}
