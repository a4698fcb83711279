package dev.skiff.cli;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.skiff.archive.RestoreTarget;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import dev.skiff.tls.NodeTls;
import dev.skiff.tls.ReloadingTls;
import dev.skiff.tls.TlsFiles;
import java.util.Map;
import java.util.concurrent.Callable;
import dev.skiff.api.ApiServer;
import dev.skiff.api.MemberRules;
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
    /** Most I/O threads the API may be given: beyond this they only wait on each other. */
    private static final int MAX_API_IO_THREADS = 64;

    /** The schemes of --snapshots, with an example of each for the messages. */
    private static final Map<String, String> SNAPSHOT_SCHEMES = orderedMap("file", "file:///DIR", "s3", "s3://BUCKET/PREFIX");
    private static final Map<String, String> STABLE_SCHEMES = orderedMap("local", "local", "dynamodb", "dynamodb://TABLE");
    private static final Map<String, String> DISCOVERY_SCHEMES = orderedMap("file", "file:///DIR",
            "dynamodb", "dynamodb://TABLE?cluster=NAME");
    private static final Map<String, String> ARCHIVE_SCHEMES = orderedMap("file", "file:///DIR", "s3", "s3://BUCKET/PREFIX");
    private static final Map<String, String> RESTORE_SCHEMES = orderedMap("file", "file:///DIR[/SNAPSHOT-ID]",
            "s3", "s3://BUCKET/PREFIX[/SNAPSHOT-ID]");

    @Option(names = "--id", required = true, description = "Unique, stable id of this node.")
    String id;
    @Option(names = "--api-addr", defaultValue = "127.0.0.1:8001", description = "Client HTTP API listen address (default ${DEFAULT-VALUE}).")
    String apiAddr;
    @Option(names = "--consul-addr", description = "Also serve the Consul-compatible HTTP API (KV, txn, sessions; "
            + "API.md §8) on this host:port, for Consul's clients (CONSUL_HTTP_ADDR). Off unless given.")
    String consulAddr;
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
    @Option(names = "--log-archive", description = "s3://bucket/prefix or file:///dir: ship committed log entries there "
            + "continuously, for point-in-time restores (use the --snapshots location).")
    String logArchive;
    @Option(names = "--log-archive-interval", defaultValue = "1s", description = "How far the log archive may lag "
            + "behind the commit index (default ${DEFAULT-VALUE}).")
    String logArchiveInterval;
    @Option(names = "--log-archive-retention", defaultValue = "0", description = "How far back the log archive keeps "
            + "restore points, e.g. 30d; older segments no restore point needs are deleted (default 0: keep everything).")
    String logArchiveRetention;
    @Option(names = "--restore-to-index", description = "With --restore-from: restore the committed state at this log "
            + "index, from the snapshots and the log archive there.")
    Long restoreToIndex;
    @Option(names = "--restore-to-time", description = "With --restore-from: restore the state after the last entry "
            + "committed at or before this RFC 3339 time (e.g. 2026-12-04T10:00:00Z).")
    String restoreToTime;
    @Option(names = "--cluster", description = "Cluster name (key prefix in DynamoDB tables).")
    String cluster;
    @Option(names = "--cluster-secret-file", description = "File holding the raft port's shared secret (or set SKIFF_CLUSTER_SECRET).")
    Path clusterSecretFile;
    @Option(names = "--tls-cert-file", paramLabel = "PEM", description = "This node's certificate (PEM; SANs must "
            + "name its advertised addresses). With --tls-key-file and --tls-ca-file: mutual TLS on the raft port, "
            + "HTTPS on the API port. Files changed on disk are picked up without a restart.")
    Path tlsCertFile;
    @Option(names = "--tls-key-file", paramLabel = "PEM", description = "The private key of --tls-cert-file (PEM, unencrypted; keep it 0600).")
    Path tlsKeyFile;
    @Option(names = "--tls-ca-file", paramLabel = "PEM", description = "CA certificates (PEM bundle) that peers' and "
            + "clients' certificates must chain to.")
    Path tlsCaFile;
    @Option(names = "--api-require-client-cert", description = "With TLS: API clients must present a certificate "
            + "chaining to --tls-ca-file (default: not asked for).")
    boolean apiRequireClientCert;
    @Option(names = "--acl-bootstrap-token-file", paramLabel = "PATH", description = "Turn ACLs on: every API request "
            + "but /healthz, /readyz and /metrics then needs a token; the file's token (16..256 printable characters) is "
            + "the management token, with every right. Give every node the same file.")
    Path aclBootstrapTokenFile;
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
    @Option(names = "--snapshot-interval", defaultValue = "30s", description = "How often to check whether to snapshot: each check follows the last after a random wait of one to two intervals, so that members started together do not snapshot together (default ${DEFAULT-VALUE}).")
    String snapshotInterval;
    @Option(names = "--snapshot-threshold", defaultValue = "8192", description = "Entries since the last snapshot before a periodic one (default ${DEFAULT-VALUE}); from 64 MiB snapshots on, it also waits until they hold as many bytes as the last.")
    long snapshotThreshold;
    @Option(names = "--trailing-logs", defaultValue = "10240", description = "Entries kept behind a snapshot for slow followers (default ${DEFAULT-VALUE}).")
    long trailingLogs;
    @Option(names = "--log-format", defaultValue = "text", description = "text (default) or json: one JSON object per log line.")
    String logFormat;
    // Health and dead-member cleanup (API.md §6).
    @Option(names = "--remove-dead-after", defaultValue = "0", description = "On the leader, remove a member that has not "
            + "answered for this long, e.g. 10m (default 0 = never).")
    String removeDeadAfter;
    @Option(names = "--min-voters", defaultValue = "3", description = "Dead-member cleanup, and a node that "
            + "leaves on termination, never leave fewer voters than this (default ${DEFAULT-VALUE}).")
    int minVoters;
    @Option(names = "--api-io-threads", paramLabel = "N", description = "I/O threads of the client API, 1.."
            + "64 (default: 1 on fewer than 4 CPUs, else 2). They parse every request and write every answer; "
            + "stale reads run on them. More threads serve more reads at once; fewer cost fewer wake-ups per write.")
    Integer apiIoThreads;
    @Option(names = "--ready-max-lag", defaultValue = "1000", description = "/readyz is 503 while this node's applied index "
            + "trails the leader's commit index by more entries than this (default ${DEFAULT-VALUE}).")
    long readyMaxLag;

    @Override
    public Integer call() throws Exception {
        LogFormat.apply(logFormat);
        NodeSettings settings = settings();
        if (Boolean.getBoolean(HeapPretouch.PROPERTY)) {
            HeapPretouch.Touched touched = HeapPretouch.touchFreeHeap(Runtime.getRuntime().availableProcessors());
            log.info("heap touched before start id={} bytes={} ms={}", settings.id(), touched.bytes(), touched.millis());
        }
        HostPort consul = consulAddr == null || consulAddr.isEmpty() ? null : HostPort.parse(consulAddr, "--consul-addr");
        SkiffNode node = SkiffNode.start(settings, tls(), aclBootstrapToken());
        Signals.onTermination(node::close);
        try {
            if (consul != null) {
                try {
                    node.openConsul(consul);
                } catch (IOException e) {
                    node.close(false);
                    throw e;
                }
            }
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
        MemberRules.idProblem(id).ifPresent(problem -> {
            throw new IllegalArgumentException("--id: " + problem);
        });
        HostPort api = HostPort.parse(apiAddr, "--api-addr");
        HostPort raftBind = HostPort.parse(raftAddr, "--raft-addr");
        if (api.port() != 0 && api.port() == raftBind.port() && (api.host().equals(raftBind.host()) || api.isWildcard()
                || raftBind.isWildcard())) {
            throw new IllegalArgumentException("--api-addr " + api + " and --raft-addr " + raftBind
                    + " are the same address; give the client API and Raft different ports");
        }
        HostPort apiAdv = advertise(advertiseApi, api, "--advertise-api", "--api-addr");
        HostPort raftAdv = advertise(advertiseRaft, raftBind, "--advertise-raft", "--raft-addr");
        Path dir = dataDir != null ? dataDir : Path.of("data", id);
        Path snapshotsDir = dir.resolve("snapshots");
        URI snapshotsUri = null;
        if (snapshots != null) {
            URI uri = storageUri(snapshots, "--snapshots", SNAPSHOT_SCHEMES);
            if (uri.getScheme().equals("file")) {
                snapshotsDir = Path.of(uri);
            } else {
                snapshotsUri = uri;
            }
        }
        URI stableUri = "local".equals(stable) ? null : storageUri(stable, "--stable", STABLE_SCHEMES);
        URI discoveryUri = discovery == null ? null : storageUri(discovery, "--discovery", DISCOVERY_SCHEMES);
        URI restoreUri = null;
        if (restoreFrom != null) {
            restoreUri = storageUri(restoreFrom, "--restore-from", RESTORE_SCHEMES);
            if (!join.isEmpty()) {
                throw new IllegalArgumentException("--restore-from starts a new cluster from a snapshot; it cannot be combined "
                        + "with --join (start the restored node first, then join the others to it)");
            }
        }
        if (bootstrap && !join.isEmpty()) {
            throw new IllegalArgumentException("--bootstrap and --join cannot be used together: --bootstrap starts a new "
                    + "cluster, --join joins an existing one; give --bootstrap to the first node only and --join to the others");
        }
        if (bootstrap && discoveryUri != null) {
            throw new IllegalArgumentException("--bootstrap and --discovery cannot be used together: with --discovery the "
                    + "nodes decide through the table which one bootstraps (and never start a second cluster); drop --bootstrap");
        }
        String clusterName = clusterName(cluster, discoveryUri);
        if (maxValueBytes < 1 || maxValueBytes > dev.skiff.kv.KvCommand.MAX_VALUE_BYTES) {
            throw new IllegalArgumentException("--max-value-bytes must be between 1 and "
                    + dev.skiff.kv.KvCommand.MAX_VALUE_BYTES + ", got " + maxValueBytes);
        }
        int ioThreads = apiIoThreads != null ? apiIoThreads
                : ApiServer.defaultIoThreads(Runtime.getRuntime().availableProcessors());
        if (ioThreads < 1 || ioThreads > MAX_API_IO_THREADS) {
            throw new IllegalArgumentException("--api-io-threads must be between 1 and " + MAX_API_IO_THREADS + ", got "
                    + ioThreads);
        }
        List<URI> joinUris = new ArrayList<>();
        for (String j : join) {
            joinUris.add(joinUri(j));
        }
        String secret = secret();
        if (secret == null && tlsCertFile == null && !raftBind.isLoopback()) {
            log.warn("!!! SECURITY: the raft port {} is reachable beyond this machine and no cluster secret is set: "
                    + "anyone who can reach it can join or disrupt the cluster. Set --cluster-secret-file or SKIFF_CLUSTER_SECRET, or use mutual TLS (--tls-cert-file, --tls-key-file, --tls-ca-file).",
                    raftBind);
        }
        RaftConfig raftConfig = raftConfig();
        StorageSettings storage = new StorageSettings(clusterName, snapshotsUri, stableUri, discoveryUri, restoreUri,
                createTables, DiscoveryAgent.DEFAULT_INTERVAL);
        return new NodeSettings(id, api, raftBind, apiAdv, raftAdv, dir, snapshotsDir, bootstrap, joinUris, secret,
                maxValueBytes, NodeSettings.DEFAULT_REQUEST_TIMEOUT, raftConfig, storage, autopilot(), archive(restoreUri,
                snapshotsUri != null ? snapshotsUri : snapshotsDir.toAbsolutePath().normalize().toUri()), ioThreads);
    }

    private static boolean sameLocation(URI a, URI b) {
        if ("file".equals(a.getScheme()) && "file".equals(b.getScheme())) {
            return Path.of(a.getPath()).toAbsolutePath().normalize().equals(Path.of(b.getPath()).toAbsolutePath().normalize());
        }
        return a.toString().replaceAll("/+$", "").equals(b.toString().replaceAll("/+$", ""));
    }

    /** --log-archive, --log-archive-interval, --log-archive-retention, --restore-to-index, --restore-to-time. */
    private ArchiveSettings archive(URI restoreUri, URI snapshotsLocation) {
        URI location = logArchive == null ? null : storageUri(logArchive, "--log-archive", ARCHIVE_SCHEMES);
        Duration interval = Durations.parse(logArchiveInterval, "--log-archive-interval");
        if (interval.compareTo(Duration.ofMillis(100)) < 0 || interval.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("--log-archive-interval must be from 100ms to 1h, got '" + logArchiveInterval + "'");
        }
        Duration retention = "0".equals(logArchiveRetention.strip()) ? Duration.ZERO
                : Durations.parse(logArchiveRetention, "--log-archive-retention");
        if (!retention.isZero() && retention.compareTo(Duration.ofHours(1)) < 0) {
            throw new IllegalArgumentException("--log-archive-retention must be 0 (keep everything) or at least 1h, got '"
                    + logArchiveRetention + "'");
        }
        if (!retention.isZero() && (location == null || !sameLocation(location, snapshotsLocation))) {
            throw new IllegalArgumentException("--log-archive-retention needs --log-archive and --snapshots at the same "
                    + "location: retention deletes archived entries that a snapshot there replaces, and a restore reads both "
                    + "from that one location");
        }
        RestoreTarget target = null;
        if (restoreToIndex != null && restoreToTime != null) {
            throw new IllegalArgumentException("--restore-to-index and --restore-to-time cannot be used together; give one");
        }
        if (restoreToIndex != null) {
            target = new RestoreTarget.Index(restoreToIndex);
        } else if (restoreToTime != null) {
            try {
                target = new RestoreTarget.Time(java.time.OffsetDateTime.parse(restoreToTime).toInstant());
            } catch (java.time.format.DateTimeParseException e) {
                throw new IllegalArgumentException("--restore-to-time must be an RFC 3339 time like 2026-12-04T10:00:00Z, got '"
                        + restoreToTime + "'");
            }
        }
        if (target != null && restoreUri == null) {
            throw new IllegalArgumentException((restoreToIndex != null ? "--restore-to-index" : "--restore-to-time")
                    + " needs --restore-from LOCATION: the archive (the old cluster's --log-archive location) to restore from");
        }
        return new ArchiveSettings(location, interval, retention, target,
                location != null && sameLocation(location, snapshotsLocation));
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

    /**
     * The Raft timing and snapshot flags, each checked against its own range first, so that a
     * bad value is reported by its flag and in its units (not as a field of {@link RaftConfig}).
     */
    private RaftConfig raftConfig() {
        Duration tick = RaftConfig.DEFAULT_TICK_INTERVAL;
        Duration election = Durations.parse(electionTimeout, "--election-timeout");
        Duration minElection = tick.multipliedBy(5);
        Duration maxElection = Duration.ofMinutes(1);
        if (election.compareTo(minElection) < 0 || election.compareTo(maxElection) > 0) {
            throw new IllegalArgumentException("--election-timeout must be between " + Durations.format(minElection) + " and "
                    + Durations.format(maxElection) + ", got " + electionTimeout);
        }
        Duration heartbeat = Durations.parse(heartbeatInterval, "--heartbeat-interval");
        Duration maxHeartbeat = election.dividedBy(2);
        if (heartbeat.compareTo(tick) < 0 || heartbeat.compareTo(maxHeartbeat) > 0) {
            throw new IllegalArgumentException("--heartbeat-interval must be between " + Durations.format(tick)
                    + " and half the --election-timeout (" + Durations.format(maxHeartbeat) + " for --election-timeout "
                    + electionTimeout + "), got " + heartbeatInterval);
        }
        Duration snapshotEvery = Durations.parse(snapshotInterval, "--snapshot-interval");
        if (snapshotEvery.compareTo(Duration.ofMillis(10)) < 0 || snapshotEvery.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalArgumentException("--snapshot-interval must be between 10ms and 24h, got " + snapshotInterval);
        }
        if (snapshotThreshold < 1) {
            throw new IllegalArgumentException("--snapshot-threshold must be at least 1 entry, got " + snapshotThreshold);
        }
        if (trailingLogs < 0) {
            throw new IllegalArgumentException("--trailing-logs must be 0 or more entries, got " + trailingLogs);
        }
        RaftConfig config = RaftConfig.defaults(id)
                .withTimeouts(heartbeat, election, election.multipliedBy(4).dividedBy(5))
                .withSnapshots(snapshotEvery, snapshotThreshold, trailingLogs);
        try {
            return config.validate();
        } catch (IllegalArgumentException e) {
            // The checks above cover every bound RaftConfig has for these flags; this is a guard.
            throw new IllegalArgumentException("invalid Raft setting: " + e.getMessage()
                    + " (flags --election-timeout, --heartbeat-interval, --snapshot-interval, --snapshot-threshold, --trailing-logs)");
        }
    }

    /**
     * The TLS flags, checked: all three files or none, readable, the key matching the
     * certificate and the certificate chaining to the CA.
     */
    Optional<NodeTls> tls() {
        if (tlsCertFile == null && tlsKeyFile == null && tlsCaFile == null) {
            if (apiRequireClientCert) {
                throw new IllegalArgumentException("--api-require-client-cert needs TLS: give --tls-cert-file, "
                        + "--tls-key-file and --tls-ca-file too");
            }
            return Optional.empty();
        }
        if (tlsCertFile == null || tlsKeyFile == null || tlsCaFile == null) {
            throw new IllegalArgumentException("TLS needs all of --tls-cert-file, --tls-key-file and --tls-ca-file; missing "
                    + String.join(", ", java.util.stream.Stream.of(tlsCertFile == null ? "--tls-cert-file" : null,
                            tlsKeyFile == null ? "--tls-key-file" : null, tlsCaFile == null ? "--tls-ca-file" : null)
                    .filter(java.util.Objects::nonNull).toList())
                    + " (skiff tls init DIR writes a development set)");
        }
        try {
            return Optional.of(new NodeTls(ReloadingTls.load(new TlsFiles(tlsCertFile, tlsKeyFile, tlsCaFile)),
                    apiRequireClientCert));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--tls-cert-file/--tls-key-file/--tls-ca-file: " + e.getMessage(), e);
        }
    }

    /** A --join value: a member's API base URL, http(s)://host:port (a bare host:port means https:// with TLS, else http://). */
    private URI joinUri(String value) {
        String scheme = tlsCertFile != null ? "https" : "http";
        String hint = "--join takes members' API addresses like " + scheme + "://10.0.0.5:8001 (comma-separated), got '" + value + "'";
        String url = value.contains("://") ? value : scheme + "://" + value;
        URI u;
        try {
            u = new URI(url);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException(hint);
        }
        if (!scheme.equalsIgnoreCase(u.getScheme())) {
            throw new IllegalArgumentException(hint + ": the scheme must be " + scheme + "://"
                    + (scheme.equals("https") ? " (the node has TLS flags)" : " (https:// needs the --tls-* flags)"));
        }
        if (u.getHost() == null || u.getPort() < 1) {
            throw new IllegalArgumentException(hint + ": it needs a host and a port");
        }
        if (u.getUserInfo() != null || u.getQuery() != null || u.getFragment() != null
                || (u.getPath() != null && !u.getPath().isEmpty() && !u.getPath().equals("/"))) {
            throw new IllegalArgumentException(hint + ": give only scheme, host and port (no path, query or user)");
        }
        return u;
    }

    /** --cluster, else the discovery URI's cluster parameter, else "skiff" (API.md §1). */
    static String clusterName(String cluster, URI discoveryUri) {
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

    /**
     * A storage URI for {@code flag}: its scheme is one the flag supports ({@code schemes}: scheme
     * → example), a {@code file:} URI has an absolute path (and a query only for --discovery's
     * {@code ?cluster=}), and any other scheme's module is on the class path.
     */
    private static URI storageUri(String value, String flag, Map<String, String> schemes) {
        String supported = String.join(", ", schemes.values());
        URI uri;
        try {
            uri = new URI(value);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException(flag + " '" + value + "' is not a valid URI (" + e.getReason() + " at position "
                    + e.getIndex() + "); " + flag + " takes " + supported);
        }
        String scheme = uri.getScheme();
        if (scheme == null || !schemes.containsKey(scheme)) {
            throw new IllegalArgumentException(flag + " '" + value + "': "
                    + (scheme == null ? "no scheme" : "unknown scheme '" + uri.getScheme() + "://'") + "; " + flag + " takes " + supported);
        }
        if (scheme.equals("file")) {
            if (uri.getRawAuthority() != null || uri.getPath() == null || !uri.getPath().startsWith("/")
                    || (uri.getQuery() != null && !flag.equals("--discovery")) || uri.getFragment() != null) {
                throw new IllegalArgumentException(flag + " '" + value + "' is not a local directory URI; give an absolute "
                        + "path as file:///path/to/dir (three slashes)");
            }
            return uri;
        }
        StorageProviders.forUri(uri, flag);
        return uri;
    }

    private static Map<String, String> orderedMap(String... keysAndValues) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    private static HostPort advertise(String given, HostPort bind, String flag, String bindFlag) {
        if (given != null) {
            HostPort a = HostPort.parse(given, flag);
            if (a.isWildcard() || a.port() == 0) {
                throw new IllegalArgumentException(flag + " must be a reachable host:port, got '" + given + "'");
            }
            MemberRules.addressProblem(a.toString()).ifPresent(problem -> {
                throw new IllegalArgumentException(flag + ": " + problem);
            });
            return a;
        }
        if (bind.isWildcard()) {
            throw new IllegalArgumentException(flag + " is required when " + bindFlag + " binds " + bind.host());
        }
        if (bind.port() == 0) {
            throw new IllegalArgumentException(bindFlag + " needs a fixed port (0 is only for tests), or set " + flag);
        }
        // Other members reach this node at its bind address: it must pass their membership checks.
        MemberRules.addressProblem(bind.toString()).ifPresent(problem -> {
            throw new IllegalArgumentException(bindFlag + ": " + problem);
        });
        return bind;
    }

    /** The management token from --acl-bootstrap-token-file, or null when ACLs are off. Never logged. */
    String aclBootstrapToken() throws IOException {
        if (aclBootstrapTokenFile == null) {
            return null;
        }
        Path f = aclBootstrapTokenFile;
        if (!Files.isRegularFile(f) || !Files.isReadable(f)) {
            throw new IllegalArgumentException("--acl-bootstrap-token-file " + f + " is not a readable file"
                    + (Files.isDirectory(f) ? " (it is a directory)" : "")
                    + "; give the path of a file holding the management token (for example the output of uuidgen)");
        }
        String token = Files.readString(f, StandardCharsets.UTF_8).strip();
        String problem = dev.skiff.acl.TokenSecrets.problem(token);
        if (problem == null && token.length() < dev.skiff.acl.TokenSecrets.MIN_SECRET_LENGTH) {
            problem = "the token is shorter than " + dev.skiff.acl.TokenSecrets.MIN_SECRET_LENGTH + " characters";
        }
        if (problem != null) {
            throw new IllegalArgumentException("--acl-bootstrap-token-file " + f + ": " + problem + "; put one token of "
                    + dev.skiff.acl.TokenSecrets.MIN_SECRET_LENGTH + ".." + dev.skiff.acl.TokenSecrets.MAX_SECRET_LENGTH
                    + " printable ASCII characters (no spaces) in it, for example the output of uuidgen");
        }
        try {
            java.util.Set<java.nio.file.attribute.PosixFilePermission> perms = Files.getPosixFilePermissions(f);
            if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
                log.warn("!!! SECURITY: the ACL bootstrap token file {} can be read by other users (permissions {}); "
                        + "chmod 600 it", f, java.nio.file.attribute.PosixFilePermissions.toString(perms));
            }
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: nothing to check.
        }
        log.info("ACLs on: requests need a token; management token from {}", f);
        return token;
    }

    private String secret() throws IOException {
        if (clusterSecretFile != null) {
            if (!Files.isRegularFile(clusterSecretFile) || !Files.isReadable(clusterSecretFile)) {
                throw new IllegalArgumentException("--cluster-secret-file " + clusterSecretFile + " is not a readable file"
                        + (Files.isDirectory(clusterSecretFile) ? " (it is a directory)" : "")
                        + "; give the path of a file holding the secret, or set SKIFF_CLUSTER_SECRET");
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
