package dev.skiff.cli;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import dev.skiff.discovery.DiscoveryAgent;
import dev.skiff.raft.RaftConfig;
import dev.skiff.storage.StorageProviders;
import dev.skiff.storage.StorageUris;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code skiff node}: runs one node until SIGTERM or SIGINT (API.md §1). */
@Command(name = "node", mixinStandardHelpOptions = true,
        description = "Run one Skiff node. Every flag can also be set with SKIFF_<FLAG> (e.g. SKIFF_API_ADDR).")
final class NodeCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(NodeCommand.class);
    /** Below this, --remove-dead-after would remove members that are merely restarting. */
    private static final Duration MIN_REMOVE_DEAD_AFTER = Duration.ofSeconds(1);

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
    @Option(names = "--election-timeout", defaultValue = "500ms", description = "Raft election timeout (default ${DEFAULT-VALUE}).")
    String electionTimeout;
    @Option(names = "--heartbeat-interval", defaultValue = "50ms", description = "Raft heartbeat interval (default ${DEFAULT-VALUE}).")
    String heartbeatInterval;
    @Option(names = "--snapshot-interval", defaultValue = "30s", description = "How often to check whether to snapshot (default ${DEFAULT-VALUE}).")
    String snapshotInterval;
    @Option(names = "--snapshot-threshold", defaultValue = "8192", description = "Entries since the last snapshot that trigger one (default ${DEFAULT-VALUE}).")
    long snapshotThreshold;
    @Option(names = "--trailing-logs", defaultValue = "10240", description = "Entries kept behind a snapshot for slow followers (default ${DEFAULT-VALUE}).")
    long trailingLogs;
    @Option(names = "--log-format", defaultValue = "text", description = "text (default) or json: one JSON object per log line.")
    String logFormat;
    // Health and dead-member cleanup (API.md §6).
    @Option(names = "--remove-dead-after", defaultValue = "0", description = "On the leader, remove a member that has not "
            + "answered for this long, e.g. 10m (default 0 = never).")
    String removeDeadAfter;
    @Option(names = "--min-voters", defaultValue = "3", description = "Dead-member cleanup never leaves fewer voters than "
            + "this (default ${DEFAULT-VALUE}).")
    int minVoters;
    @Option(names = "--ready-max-lag", defaultValue = "1000", description = "/readyz is 503 while this node's applied index "
            + "trails the leader's commit index by more entries than this (default ${DEFAULT-VALUE}).")
    long readyMaxLag;

    @Override
    public Integer call() throws Exception {
        LogFormat.apply(logFormat);
        NodeSettings settings = settings();
        SkiffNode node = SkiffNode.start(settings);
        Signals.onTermination(node::close);
        try {
            node.stopped.join();
            return 0;
        } catch (java.util.concurrent.CompletionException e) {
            String message = FatalStop.describe(settings.id(), e.getCause());
            log.error("node stopping after a fatal error id={} exitCode={}: {}", settings.id(), Main.EXIT_FAILURE, message,
                    e.getCause());
            System.err.println("skiff: fatal: " + message);
            node.close(false);
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
        URI snapshotsUri = null;
        if (snapshots != null) {
            if (snapshots.startsWith("file://")) {
                snapshotsDir = Path.of(URI.create(snapshots));
            } else {
                snapshotsUri = providerUri(snapshots, "--snapshots");
            }
        }
        URI stableUri = "local".equals(stable) ? null : providerUri(stable, "--stable");
        URI discoveryUri = null;
        if (discovery != null) {
            discoveryUri = parseUri(discovery, "--discovery");
            if (!"file".equals(discoveryUri.getScheme())) {
                providerUri(discovery, "--discovery");
            }
        }
        URI restoreUri = null;
        if (restoreFrom != null) {
            restoreUri = parseUri(restoreFrom, "--restore-from");
            if (!"file".equals(restoreUri.getScheme())) {
                StorageProviders.forUri(restoreUri, "--restore-from");
            }
            if (!join.isEmpty()) {
                throw new IllegalArgumentException("--restore-from starts a new cluster from a snapshot; it cannot be combined "
                        + "with --join (start the restored node first, then join the others to it)");
            }
        }
        String clusterName = clusterName(discoveryUri);
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
        Duration election = Durations.parse(electionTimeout, "--election-timeout");
        Duration heartbeat = Durations.parse(heartbeatInterval, "--heartbeat-interval");
        RaftConfig raftConfig = RaftConfig.defaults(id)
                .withTimeouts(heartbeat, election, election.multipliedBy(4).dividedBy(5))
                .withSnapshots(Durations.parse(snapshotInterval, "--snapshot-interval"), snapshotThreshold, trailingLogs);
        try {
            raftConfig.validate();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid Raft setting: " + e.getMessage()
                    + " (flags --election-timeout, --heartbeat-interval, --snapshot-interval, --snapshot-threshold, --trailing-logs)");
        }
        if (bootstrap && discoveryUri != null) {
            log.info("--bootstrap with --discovery: this node bootstraps without taking the discovery table's bootstrap lock");
        }
        StorageSettings storage = new StorageSettings(clusterName, snapshotsUri, stableUri, discoveryUri, restoreUri,
                createTables, DiscoveryAgent.DEFAULT_INTERVAL);
        return new NodeSettings(id, api, raftBind, apiAdv, raftAdv, dir, snapshotsDir, bootstrap, joinUris, secret,
                maxValueBytes, NodeSettings.DEFAULT_REQUEST_TIMEOUT, raftConfig, storage, autopilot());
    }

    /** --remove-dead-after, --min-voters, --ready-max-lag. */
    private AutopilotSettings autopilot() {
        Duration deadAfter = "0".equals(removeDeadAfter.strip()) ? Duration.ZERO
                : Durations.parse(removeDeadAfter, "--remove-dead-after");
        if (!deadAfter.isZero() && deadAfter.compareTo(MIN_REMOVE_DEAD_AFTER) < 0) {
            throw new IllegalArgumentException("--remove-dead-after must be 0 (never) or at least 1s, got '" + removeDeadAfter
                    + "': a shorter time would remove members during an ordinary restart or network hiccup");
        }
        if (minVoters < 1) {
            throw new IllegalArgumentException("--min-voters must be at least 1, got " + minVoters
                    + " (3 keeps a cluster that tolerates one failure)");
        }
        if (readyMaxLag < 0) {
            throw new IllegalArgumentException("--ready-max-lag must be 0 or more entries, got " + readyMaxLag);
        }
        return new AutopilotSettings(deadAfter, minVoters, readyMaxLag);
    }

    /** --cluster, else the discovery URI's cluster parameter, else "skiff" (API.md §1). */
    private String clusterName(URI discoveryUri) {
        String name = cluster;
        String flag = "--cluster";
        if (name == null && discoveryUri != null) {
            name = StorageUris.parameter(discoveryUri, "cluster");
            flag = "--discovery ...?cluster=";
        }
        if (name == null) {
            return StorageSettings.DEFAULT_CLUSTER;
        }
        if (!name.matches("[A-Za-z0-9._-]{1,100}")) {
            throw new IllegalArgumentException(flag + " must be 1..100 of A-Z a-z 0-9 . _ -, got '" + name + "'");
        }
        return name;
    }

    private static URI parseUri(String value, String flag) {
        try {
            URI uri = new URI(value);
            if (uri.getScheme() == null) {
                throw new IllegalArgumentException(flag + " needs a URI with a scheme (file://, s3://, dynamodb://), got '" + value + "'");
            }
            return uri;
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException(flag + " is not a valid URI: '" + value + "' (" + e.getMessage() + ")");
        }
    }

    /** A URI that some storage provider on the class path serves (else the "no provider" message, exit 2). */
    private static URI providerUri(String value, String flag) {
        URI uri = parseUri(value, flag);
        StorageProviders.forUri(uri, flag);
        return uri;
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
