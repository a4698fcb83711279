package dev.skiff.cli;

import dev.skiff.api.ApiMetrics;
import dev.skiff.api.ApiServer;
import dev.skiff.api.PeerApi;
import dev.skiff.tls.NodeTls;
import dev.skiff.archive.ArchiveGuardedLogStore;
import dev.skiff.archive.ArchiveLocations;
import dev.skiff.archive.ArchiveObjects;
import dev.skiff.archive.LogArchiver;
import dev.skiff.autopilot.DeadMemberCleanup;
import dev.skiff.discovery.AddressBookTransport;
import dev.skiff.discovery.Discovery;
import dev.skiff.discovery.DiscoveryAgent;
import dev.skiff.discovery.FileDiscovery;
import dev.skiff.discovery.Member;
import dev.skiff.kv.CommitStamp;
import dev.skiff.kv.KvStateMachine;
import dev.skiff.metrics.ApplyMeters;
import dev.skiff.metrics.JvmMeters;
import dev.skiff.metrics.MeteredSnapshotStore;
import dev.skiff.metrics.WalMeters;
import dev.skiff.raft.CannotBootstrapException;
import dev.skiff.raft.Configuration;
import dev.skiff.raft.LogStore;
import dev.skiff.raft.Observation;
import dev.skiff.raft.Raft;
import dev.skiff.raft.RaftState;
import dev.skiff.raft.Server;
import dev.skiff.raft.SnapshotStore;
import dev.skiff.raft.StableStore;
import dev.skiff.raft.Suffrage;
import dev.skiff.raft.Transport;
import dev.skiff.storage.ReachabilityCheck;
import dev.skiff.storage.SnapshotSeeder;
import dev.skiff.storage.StorageContext;
import dev.skiff.storage.StorageHealth;
import dev.skiff.storage.StorageProber;
import dev.skiff.storage.StorageProviders;
import dev.skiff.transport.ClusterSecret;
import dev.skiff.transport.HttpTransport;
import dev.skiff.transport.HttpTransportConfig;
import dev.skiff.wal.FileSnapshotStore;
import dev.skiff.wal.FileStableStore;
import dev.skiff.wal.SegmentedLogStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Skiff node: the stores in its data directory, the HTTP transport, Raft with the KV state
 * machine, and the client API; plus bootstrap or join. Closing it transfers leadership away
 * first when it leads, so a rolling restart does not wait for an election timeout.
 */
final class SkiffNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SkiffNode.class);
    /** How many snapshots each node keeps on local disk. */
    static final int SNAPSHOTS_RETAINED = 3;
    /** How often a remote snapshot store (S3) is checked, so that an outage shows while it is idle. */
    static final Duration STORAGE_PROBE_INTERVAL = Duration.ofSeconds(5);

    final NodeSettings settings;
    private final SegmentedLogStore logs;
    private final StableStore stable;
    private final SnapshotStore snapshots;
    private final Transport transport;
    final KvStateMachine kv;
    final Raft raft;
    private final ApiServer api;
    /** The discovery heartbeat, or null without --discovery. */
    private final DiscoveryAgent discovery;
    /** Checks a remote snapshot store (S3) in the background, or null. */
    private final StorageProber snapshotProber;
    private final JvmMeters jvmMeters;
    /** Completes when the node stops; exceptionally if it stopped because of a fatal error. */
    final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private volatile boolean closing;
    /** Removes dead members while this node leads (--remove-dead-after), or null. */
    private DeadMemberCleanup deadMemberCleanup;
    private Thread joiner;
    /** How this node reaches other nodes' APIs (http or https); set before it joins. */
    private volatile PeerApi peerApi = PeerApi.PLAIN;
    /** The management token this node joins with when ACLs are on (API.md §7), or null. */
    private volatile String aclToken;
    /** Ships committed entries to the --log-archive location, or null. */
    private LogArchiver archiver;

    private SkiffNode(NodeSettings settings, SegmentedLogStore logs, StableStore stable, SnapshotStore snapshots,
                      Transport transport, KvStateMachine kv, Raft raft, ApiServer api, DiscoveryAgent discovery,
                      StorageProber snapshotProber, JvmMeters jvmMeters) {
        this.settings = settings;
        this.jvmMeters = jvmMeters;
        this.discovery = discovery;
        this.snapshotProber = snapshotProber;
        this.logs = logs;
        this.stable = stable;
        this.snapshots = snapshots;
        this.transport = transport;
        this.kv = kv;
        this.raft = raft;
        this.api = api;
    }

    /**
     * Opens the stores, starts Raft and the API, then bootstraps or joins as asked: by
     * {@code --bootstrap}/{@code --join}, or through the discovery table.
     */
    static SkiffNode start(NodeSettings s) throws IOException {
        return start(s, Optional.empty(), null);
    }

    /**
     * {@link #start(NodeSettings)} with TLS on both ports when {@code tls} is present (mutual TLS
     * on the raft port, HTTPS on the API port, and HTTPS to other nodes' APIs: forwarding,
     * probes, joining), and with ACLs on when {@code aclManagementToken} is given (the API then
     * needs a token for every request but health checks and metrics, this one has every right,
     * and the node's own join requests carry it).
     */
    static SkiffNode start(NodeSettings s, Optional<NodeTls> tls, String aclManagementToken) throws IOException {
        StorageSettings cloud = s.storage();
        PeerApi peerApi = new PeerApi(tls.map(t -> t.material().context()));
        prepareDirectories(s);
        GracefulLeave.clearStaleMarker(s.dataDir());
        // One registry for everything /metrics shows: the API's meters, the WAL's, the state
        // machine's, the snapshot store's, the storage back-ends' remote calls and the JVM's.
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Snapshots beside a log archive are restore points: --log-archive-retention deletes
        // those no point in its window needs (or none, keeping everything), not the store.
        int snapshotsRetained = s.archive().besideSnapshots() ? Integer.MAX_VALUE : SNAPSHOTS_RETAINED;
        StorageContext context = new StorageContext(cloud.cluster(), s.id(), snapshotsRetained, cloud.createTables(), meters);
        SegmentedLogStore logs = SegmentedLogStore.open(s.dataDir().resolve("raft").resolve("log"),
                SegmentedLogStore.Options.DEFAULTS.withTimings(new WalMeters(meters)));
        StableStore stable = null;
        SnapshotStore snapshots = null;
        Transport transport = null;
        DiscoveryAgent agent = null;
        Raft raft = null;
        ArchiveObjects archive = null;
        try {
            snapshots = cloud.snapshots() == null
                    ? FileSnapshotStore.open(s.snapshotsDir(), snapshotsRetained)
                    : StorageProviders.forUri(cloud.snapshots(), "--snapshots").snapshotStore(cloud.snapshots(), context);
            if (cloud.stable() == null) {
                stable = FileStableStore.open(s.dataDir().resolve("raft").resolve("stable"));
            } else {
                stable = StorageProviders.forUri(cloud.stable(), "--stable").stableStore(cloud.stable(), context);
                boolean localState = logs.lastIndex() > 0 || (cloud.snapshots() == null && !snapshots.list().isEmpty());
                AmnesiaGuard.check(stable, s.dataDir(), s.id(), localState);
            }
            HttpTransportConfig tc = HttpTransportConfig.defaults(s.raftBind().toString())
                    .withAdvertiseAddress(s.raftAdvertise().toString());
            if (s.clusterSecret() != null) {
                tc = tc.withSecret(ClusterSecret.of(s.clusterSecret()));
            }
            if (tls.isPresent()) {
                tc = tc.withTls(tls.get().material().context());
            }
            transport = new HttpTransport(tc);
            if (cloud.discovery() != null) {
                AddressBookTransport routed = new AddressBookTransport(transport);
                transport = routed;
                Discovery table = openDiscovery(cloud.discovery(), context);
                Member me = new Member(s.id(), s.raftAdvertise().toString(), s.apiAdvertise().toString(), Instant.now());
                agent = new DiscoveryAgent(table, me, routed, cloud.discoveryInterval());
                agent.registerAndRefresh();
            }
            RestoreMarker.refuseIfInterrupted(s.dataDir());
            // A snapshot store shared by the cluster (s3://) holds other nodes' snapshots: only
            // what is this node's own (log, term) says whether it has state.
            boolean hasState = cloud.snapshots() == null
                    ? Raft.hasExistingState(logs, stable, snapshots)
                    : logs.lastIndex() > 0 || stable.getLong(StableStore.CURRENT_TERM, 0) > 0;
            boolean restored = false;
            if (cloud.restoreFrom() != null) {
                if (hasState) {
                    log.info("--restore-from ignored: node {} already has Raft state (a restore never overwrites data)", s.id());
                } else if (agent == null || agent.shouldBootstrap()) {
                    restore(s, context, logs, stable, snapshots);
                    restored = true;
                } else {
                    log.info("--restore-from: another node holds the discovery bootstrap lock and restores; {} joins it", s.id());
                }
            }
            KvStateMachine kv = new KvStateMachine(new ApplyMeters(meters));
            // With an archive, compaction waits for it (the archiver, created after Raft, says how far it is).
            AtomicReference<LogArchiver> archiverRef = new AtomicReference<>();
            LogStore raftLogs = logs;
            if (s.archive().location() != null) {
                archive = ArchiveLocations.open(s.archive().location(), context, "--log-archive");
                raftLogs = new ArchiveGuardedLogStore(logs, () -> {
                    LogArchiver a = archiverRef.get();
                    return a == null ? -1 : a.archivedIndex();
                });
            }
            // With an archive, the leader stamps every command it appends (its clients' and those
            // followers forward) with its clock, for --restore-to-time: one clock for the whole log,
            // read shortly before the entry is appended, hence at or before its commit and its
            // acknowledgement, so a restore to T that keeps the entries up to the first one stamped
            // after T keeps every write acknowledged by T.
            UnaryOperator<byte[]> leaderCommands = archive == null ? UnaryOperator.identity()
                    : command -> CommitStamp.stamp(command, System.currentTimeMillis());
            raft = startRaft(s, kv, raftLogs, stable, new MeteredSnapshotStore(snapshots, meters), transport, leaderCommands);
            StorageHealth health = new StorageHealth();
            raft.addObserver(o -> {
                if (o instanceof Observation.StorageHealth h) {
                    health.record(h.component(), h.problem());
                }
            });
            if (agent != null) {
                DiscoveryAgent watched = agent;
                health.watch(StorageHealth.DISCOVERY,
                        () -> watched.tableHealthy() ? Optional.empty() : Optional.of("the discovery table is unreachable; retrying"));
            }
            ApiServer api;
            try {
                api = new ApiServer(s.apiBind().host(), s.apiBind().port(), s.id(), raft, kv, snapshots,
                        new ApiMetrics(meters, raft), s.maxValueBytes(), s.requestTimeout(), health, s.dataDir().resolve("uploads"),
                        s.autopilot().readyMaxLag(), peerApi, tls.map(NodeTls::apiRequireClientCert).orElse(false),
                        aclManagementToken == null ? null : dev.skiff.acl.TokenSecrets.hash(aclManagementToken), s.apiIoThreads());
            } catch (RuntimeException e) {
                ListenFailure.rethrowIfListenFailure(e, "the client API", "--api-addr", s.apiBind());
                throw e;
            }
            StorageProber prober = snapshots instanceof ReachabilityCheck remote
                    ? StorageProber.start(StorageHealth.SNAPSHOTS, remote, STORAGE_PROBE_INTERVAL, health)
                    : null;
            SkiffNode node = new SkiffNode(s, logs, stable, snapshots, transport, kv, raft, api, agent, prober,
                    new JvmMeters(meters));
            node.aclToken = aclManagementToken;
            raft.addObserver(o -> {
                if (o instanceof Observation.Fatal f) {
                    node.stopped.completeExceptionally(f.cause());
                }
            });
            if (raft.state() == RaftState.SHUTDOWN) { // stopped before the observer above was registered
                node.stopped.completeExceptionally(new IllegalStateException("Raft stopped while the node was starting; "
                        + "the cause is logged above"));
            }
            AutopilotSettings autopilot = s.autopilot();
            if (autopilot.removesDeadMembers()) {
                node.deadMemberCleanup = DeadMemberCleanup.start(raft, autopilot.removeDeadAfter(), autopilot.minVoters(),
                        meters);
            }
            if (archive != null) {
                node.archiver = new LogArchiver(raft, logs, snapshots, archive, s.archive().interval(),
                        s.archive().retention(), s.id(), meters);
                archiverRef.set(node.archiver);
                api.addStatusSection("log_archive", node.archiver::status);
                archive = null; // the archiver owns it now
            }
            if (agent != null) {
                agent.start(raft);
            }
            node.peerApi = peerApi;
            node.formCluster(hasState || restored);
            log.info("node started id={} api={} raft={} dataDir={} cluster={}{}", s.id(), s.apiAdvertise(), s.raftAdvertise(),
                    s.dataDir(), cloud.cluster(), cloud.discovery() == null ? "" : " discovery=" + cloud.discovery());
            return node;
        } catch (IOException | RuntimeException e) {
            if (agent != null) {
                agent.close(true);
            }
            if (raft != null) {
                raft.shutdown().join();
            } else if (transport != null) {
                transport.close();
            }
            closeQuietly(logs);
            closeQuietly(stable);
            closeQuietly(snapshots);
            closeQuietly(archive);
            throw e;
        }
    }

    /** The discovery table at {@code uri} ({@code --discovery}: file:///dir or a storage module's scheme). */
    static Discovery openDiscovery(URI uri, StorageContext context) throws IOException {
        return "file".equals(uri.getScheme())
                ? FileDiscovery.open(uri)
                : StorageProviders.forUri(uri, "--discovery").discovery(uri, context);
    }

    /**
     * Creates or checks every local directory the node writes to, before any store opens one,
     * so that an unusable one is refused with its flag; warns when the data dir is open to
     * other users.
     */
    private static void prepareDirectories(NodeSettings s) {
        NodeDirectories.prepare(s.dataDir(), "--data-dir");
        NodeDirectories.warnIfOpenToOthers(s.dataDir(), "--data-dir");
        StorageSettings cloud = s.storage();
        if (cloud.snapshots() == null && !s.snapshotsDir().toAbsolutePath().normalize()
                .startsWith(s.dataDir().toAbsolutePath().normalize())) {
            NodeDirectories.prepare(s.snapshotsDir(), "--snapshots");
            NodeDirectories.warnIfOpenToOthers(s.snapshotsDir(), "--snapshots");
        }
        if (cloud.discovery() != null && "file".equals(cloud.discovery().getScheme())) {
            NodeDirectories.prepare(Path.of(cloud.discovery().getPath()), "--discovery");
        }
    }

    /**
     * Seeds the empty stores from the {@code --restore-from} snapshot: this node becomes the
     * single voter of a new cluster holding that state (the others join it).
     */
    private static void restore(NodeSettings s, StorageContext context, SegmentedLogStore logs, StableStore stable,
                                SnapshotStore snapshots) throws IOException {
        URI uri = s.storage().restoreFrom();
        Server self = new Server(s.id(), s.raftAdvertise().toString(), Suffrage.VOTER, s.apiAdvertise().toString());
        RestoreMarker.begin(s.dataDir(), uri);
        SnapshotSeeder.Seeded seeded;
        try {
            seeded = s.archive().restoreTo() == null
                    ? RestoreFrom.seed(uri, context, self, snapshots, logs, stable)
                    : RestoreToPoint.seed(uri, s.archive().restoreTo(), context, self, snapshots, logs, stable, s.dataDir());
        } catch (IOException | RuntimeException e) {
            // The seeder writes the term, then the log, then commits the snapshot: with neither
            // a term nor a log, nothing was written and the restore can simply be run again.
            if (logs.lastIndex() == 0 && stable.getLong(StableStore.CURRENT_TERM, 0) == 0) {
                RestoreMarker.finish(s.dataDir());
            }
            throw e;
        }
        RestoreMarker.finish(s.dataDir());
        log.info("restored node {} from {} (snapshot {} at index {}); the new cluster's log continues at {}", s.id(), uri,
                seeded.source().id(), seeded.source().index(), seeded.nextIndex());
    }

    /**
     * Starts Raft on the stores; a newest snapshot that the state machine cannot load stops the
     * start with a message that names it and says how to get going again.
     */
    private static Raft startRaft(NodeSettings s, KvStateMachine kv, LogStore logs, StableStore stable,
                                  SnapshotStore snapshots, Transport transport, UnaryOperator<byte[]> leaderCommands)
            throws IOException {
        try {
            return Raft.create(s.raftConfig(), kv, logs, stable, snapshots, transport, leaderCommands);
        } catch (IOException e) {
            ListenFailure.rethrowIfListenFailure(e, "Raft traffic", "--raft-addr", s.raftBind());
            throw UnloadableSnapshot.explain(e, s, snapshots);
        }
    }

    private static void closeQuietly(Object o) {
        if (o instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                log.warn("close failed: {}", e.toString());
            }
        }
    }

    private Server self() {
        return new Server(settings.id(), settings.raftAdvertise().toString(), Suffrage.VOTER, settings.apiAdvertise().toString());
    }

    private void formCluster(boolean hasState) {
        if (settings.bootstrap()) {
            if (hasState) {
                log.info("--bootstrap ignored: node {} already has Raft state", settings.id());
            } else {
                bootstrapUnlessPeersShowACluster();
            }
        }
        if (!settings.join().isEmpty() && !hasState) {
            joiner = Thread.ofVirtual().name("join-" + settings.id()).start(() -> joinLoop(settings::join));
        } else if (!settings.join().isEmpty()) {
            log.info("node {} has Raft state; it rejoins its cluster without asking --join members", settings.id());
        } else if (discovery != null && !hasState && !settings.bootstrap()) {
            joiner = Thread.ofVirtual().name("form-" + settings.id()).start(this::formThroughDiscovery);
        } else if (discovery != null && hasState) {
            log.info("node {} has Raft state; it rejoins its cluster at the addresses in the discovery table", settings.id());
        }
    }

    /**
     * Bootstraps a one-node cluster, unless peers show that one exists. A node with no state may
     * be a member whose data directory was lost (the recovery the corrupt-WAL message gives),
     * restarted with the flags it was first started with: its leader's heartbeats, or a
     * candidate's vote requests, reach it, and bootstrapping would make a second cluster under
     * the same id. It stays a member instead, and the leader brings it up to date.
     *
     * <p>The wait covers the longest pause a leader's transport takes between attempts to reach
     * a peer that was down ({@link HttpTransportConfig#DEFAULT_MAX_BACKOFF}) plus two election
     * timeouts: a shorter wait (it was two election timeouts, 1 s) let the wiped node bootstrap
     * before its leader's next attempt. A peer's message that lands between the last look and
     * the bootstrap makes the core refuse it ({@link CannotBootstrapException}): the same
     * outcome, not a failure.
     */
    private void bootstrapUnlessPeersShowACluster() {
        long waitNanos = HttpTransportConfig.DEFAULT_MAX_BACKOFF
                .plus(settings.raftConfig().electionTimeout().multipliedBy(2)).toNanos();
        long deadline = System.nanoTime() + waitNanos;
        while (System.nanoTime() < deadline && !closing) {
            if (peersShowACluster()) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        if (closing) {
            return; // a node shutting down starts no cluster
        }
        try {
            raft.bootstrapCluster(Configuration.of(self())).join();
        } catch (CompletionException e) {
            if (!(e.getCause() instanceof CannotBootstrapException) || !peersShowACluster()) {
                throw e;
            }
        }
    }

    private boolean peersShowACluster() {
        var stats = raft.stats();
        if (stats.term() == 0 && stats.leader().isEmpty()) {
            return false;
        }
        log.warn("node {} has no Raft state, but its peers show a cluster (term {}, leader {}): not bootstrapping "
                        + "another; it catches up as a member", settings.id(), stats.term(),
                stats.leader().map(Server::id).orElse("not yet known"));
        return true;
    }

    /**
     * A node without state and without --bootstrap/--join: takes the discovery table's
     * bootstrap lock and bootstraps a one-node cluster, or, when another node holds it, joins
     * through the live registered members (the others add it, one at a time).
     */
    private void formThroughDiscovery() {
        long backoffMillis = 200;
        while (!closing) {
            try {
                if (discovery.shouldBootstrap()) {
                    log.info("node {} holds the discovery bootstrap lock: bootstrapping a new cluster", settings.id());
                    bootstrapUnlessPeersShowACluster();
                } else {
                    joinLoop(this::discoveredJoinUris);
                }
                return;
            } catch (IOException e) {
                log.warn("discovery table unreachable while forming the cluster (retrying in {} ms): {}", backoffMillis, e.toString());
            }
            try {
                Thread.sleep(backoffMillis);
            } catch (InterruptedException e) {
                return;
            }
            backoffMillis = Math.min(5_000, backoffMillis * 2);
        }
    }

    /** The api URLs of the live registered members other than this node. */
    private List<URI> discoveredJoinUris() {
        List<Member> members;
        try {
            members = discovery.refreshedMembers();
        } catch (IOException e) {
            log.info("discovery table unreachable; joining through the members last seen: {}", e.toString());
            members = discovery.liveMembers();
        }
        List<URI> uris = new ArrayList<>();
        for (Member m : members) {
            if (!m.id().equals(settings.id())) {
                uris.add(peerApi.uri(m.apiAddress(), ""));
            }
        }
        return uris;
    }

    /**
     * Asks members to add this node until one of them has (API.md: retry until done). The
     * members are read again each round: the --join list, or the discovery table. A cluster
     * that knows this id at other addresses (the node came back elsewhere without its data)
     * answers 409 {@code member_exists}; the node then moves its entry with {@code PUT
     * /v1/cluster/members/{id}} and asks again.
     */
    private void joinLoop(Supplier<List<URI>> members) {
        HttpClient client = peerApi.client(Duration.ofSeconds(2)).build();
        Map<String, Object> addresses = new LinkedHashMap<>();
        addresses.put("raftAddress", settings.raftAdvertise().toString());
        addresses.put("apiAddress", settings.apiAdvertise().toString());
        Map<String, Object> member = new LinkedHashMap<>();
        member.put("id", settings.id());
        member.putAll(addresses);
        member.put("voter", true);
        String addJson = toJson(member);
        String moveJson = toJson(addresses);
        long backoffMillis = 200;
        int attempt = 0;
        while (!closing) {
            for (URI via : members.get()) {
                if (raft.configuration().isVoter(settings.id())) {
                    log.info("joined the cluster as a voter id={}", settings.id());
                    return;
                }
                attempt++;
                try {
                    HttpResponse<String> r = send(client, via, "POST", "/v1/cluster/members", addJson, aclToken);
                    if (r.statusCode() == 200) {
                        log.info("admitted to the cluster via {} id={} response={}", via, settings.id(), r.body());
                        return;
                    }
                    if (r.statusCode() == 503 && r.body().contains("catching_up")) {
                        // Admitted as a non-voter; ask again to be promoted once caught up.
                        log.info("joined as a non-voter, catching up before promotion id={}", settings.id());
                        backoffMillis = 200;
                        break;
                    }
                    if (r.statusCode() == 409 && r.body().contains("\"member_exists\"")) {
                        HttpResponse<String> moved = send(client, via, "PUT",
                                "/v1/cluster/members/" + URLEncoder.encode(settings.id(), StandardCharsets.UTF_8), moveJson, aclToken);
                        if (moved.statusCode() == 200) {
                            log.warn("the cluster knew member {} at other addresses ({}); moved its entry to raft={} api={} via {}",
                                    settings.id(), r.body(), settings.raftAdvertise(), settings.apiAdvertise(), via);
                            backoffMillis = 200;
                            break;
                        }
                        log.info("join attempt {} via {}: moving member {} to this node's addresses refused status={} body={}",
                                attempt, via, settings.id(), moved.statusCode(), moved.body());
                        continue;
                    }
                    log.info("join attempt {} via {} refused status={} body={}", attempt, via, r.statusCode(), r.body());
                } catch (IOException e) {
                    log.info("join attempt {} via {} failed: {}", attempt, via, e.toString());
                } catch (InterruptedException e) {
                    return;
                }
            }
            if (raft.configuration().isVoter(settings.id())) {
                log.info("joined the cluster as a voter id={}", settings.id());
                return;
            }
            try {
                Thread.sleep(backoffMillis);
            } catch (InterruptedException e) {
                return;
            }
            backoffMillis = Math.min(5_000, backoffMillis * 2);
        }
    }

    static HttpResponse<String> send(HttpClient client, URI member, String method, String path, String json,
                                             String token) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(member.resolve(path))
                .timeout(Duration.ofSeconds(15))
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(json));
        if (token != null) {
            request.header("X-Skiff-Token", token);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String toJson(Map<String, Object> body) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    String apiAddress() {
        return api.address();
    }

    /**
     * Opens the Consul-compatible listener ({@code --consul-addr}, API.md §8) on {@code bind};
     * returns the {@code host:port} it listens on.
     *
     * @throws IOException naming the flag and the address if the port cannot be bound
     */
    String openConsul(HostPort bind) throws IOException {
        try {
            return api.startConsul(bind.host(), bind.port());
        } catch (RuntimeException e) {
            ListenFailure.rethrowIfListenFailure(e, "the Consul-compatible API", "--consul-addr", bind);
            throw e;
        }
    }

    /** Waits up to {@code timeout} for this node to know a leader; returns it. */
    Optional<Server> awaitLeader(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Server> leader = raft.leader();
            if (leader.isPresent()) {
                return leader;
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        return Optional.empty();
    }

    @Override
    public void close() {
        close(true);
    }

    /**
     * Stops the node. With {@code handOver}, a leader first transfers leadership (a rolling
     * restart then costs no election timeout); without, it just stops (the whole cluster is
     * going down).
     */
    void close(boolean handOver) {
        if (closing) {
            return;
        }
        closing = true;
        if (joiner != null) {
            joiner.interrupt();
        }
        if (archiver != null) {
            archiver.close(); // a leader ships what is committed first
        }
        boolean terminating = handOver && GracefulLeave.terminating(settings.dataDir());
        if (terminating) {
            try {
                new GracefulLeave(settings.id(), raft, settings.autopilot().minVoters(), peerApi, aclToken).leave();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else if (handOver && raft.state() == RaftState.LEADER && raft.configuration().voters().size() > 1) {
            try {
                raft.leadershipTransfer().get(2, TimeUnit.SECONDS);
                log.info("handed leadership over before stopping id={} newLeader={}", settings.id(),
                        raft.leader().map(Server::id).orElse("?"));
            } catch (Exception e) {
                log.warn("leadership transfer before stopping failed id={}: {}", settings.id(), e.toString());
            }
        }
        if (deadMemberCleanup != null) {
            deadMemberCleanup.close();
        }
        if (discovery != null) {
            // Only a terminating node gives up its registration (its machine goes away, member
            // or not): a restarting one keeps it, so that joining nodes still find it while it
            // is down for a moment.
            discovery.close(terminating);
        }
        if (snapshotProber != null) {
            snapshotProber.close();
        }
        api.close();
        jvmMeters.close();
        raft.shutdown().join();
        closeQuietly(logs);
        closeQuietly(stable);
        closeQuietly(snapshots);
        log.info("node stopped id={}", settings.id());
        stopped.complete(null);
    }
}
