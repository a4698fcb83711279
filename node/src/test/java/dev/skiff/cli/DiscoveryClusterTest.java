package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.FreePorts;
import dev.skiff.raft.RaftConfig;
import dev.skiff.raft.Server;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes started at once with identical flags and a file discovery table (no --bootstrap,
 * no --join) form one cluster; after every node stops and comes back on new ports, the
 * cluster re-forms through the table as address book and its configuration follows.
 */
class DiscoveryClusterTest {

    @TempDir
    Path tmp;
    private final List<SkiffNode> nodes = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();

    @AfterEach
    void stop() {
        nodes.forEach(n -> n.close(false));
    }

    private NodeSettings settings(String id, URI discovery) {
        return settings(id, discovery, null, tmp.resolve(id));
    }

    private NodeSettings settings(String id, URI discovery, URI restoreFrom, Path data) {
        HostPort api = new HostPort("127.0.0.1", FreePorts.next());
        HostPort raft = new HostPort("127.0.0.1", FreePorts.next());
        StorageSettings storage = new StorageSettings("it", null, null, discovery, restoreFrom, false, Duration.ofMillis(200));
        return new NodeSettings(id, api, raft, api, raft, data, data.resolve("snapshots"), false, List.of(), null,
                NodeSettings.DEFAULT_MAX_VALUE_BYTES, NodeSettings.DEFAULT_REQUEST_TIMEOUT, RaftConfig.defaults(id), storage);
    }

    /** Starts all nodes at the same moment, as an autoscaling group would. */
    private void startAll(List<NodeSettings> all) {
        List<CompletableFuture<SkiffNode>> starting = all.stream()
                .map(s -> CompletableFuture.supplyAsync(() -> {
                    try {
                        return SkiffNode.start(s);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }))
                .toList();
        starting.forEach(f -> nodes.add(f.join()));
    }

    private void awaitFormed(List<NodeSettings> all) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            for (SkiffNode n : nodes) {
                assertThat(n.raft.leader()).isPresent();
                assertThat(n.raft.configuration().voters()).extracting(Server::id, Server::address, Server::apiAddress)
                        .containsExactlyInAnyOrderElementsOf(all.stream()
                                .map(s -> org.assertj.core.groups.Tuple.tuple(s.id(), s.raftAdvertise().toString(),
                                        s.apiAdvertise().toString()))
                                .collect(Collectors.toList()));
            }
        });
    }

    @Test
    void when_threeIdenticalNodesStartWithDiscovery_then_theyFormOneCluster_andReformOnNewPorts() throws Exception {
        URI table = tmp.resolve("discovery").toUri();
        List<NodeSettings> first = List.of(settings("n1", table), settings("n2", table), settings("n3", table));
        startAll(first);
        awaitFormed(first);
        put(nodes.get(1), "greeting", "hello");

        nodes.forEach(n -> n.close(false));
        nodes.clear();

        List<NodeSettings> moved = List.of(settings("n1", table), settings("n2", table), settings("n3", table));
        startAll(moved);
        awaitFormed(moved);
        for (SkiffNode n : nodes) {
            assertThat(get(n, "greeting")).isEqualTo("hello");
        }
        System.out.println("discovery cluster: formed from 3 identical nodes, re-formed after all 3 moved to new ports");
    }

    /**
     * The node that took the bootstrap lock stops before it bootstraps (the bootstrap waits
     * seconds for signs of an existing cluster first) and starts again without state, while the
     * others wait for it: it used to join them, as if it had lost the data of a cluster it led,
     * and no node ever bootstrapped.
     */
    @Test
    void when_theLockHolderStopsBeforeBootstrapping_then_onItsRestartTheClusterForms() throws Exception {
        URI table = tmp.resolve("discovery").toUri();
        NodeSettings holder = settings("n1", table);
        startAll(List.of(holder));
        await().atMost(Duration.ofSeconds(10)).until(() -> java.nio.file.Files.exists(Path.of(table).resolve("bootstrap-lock")));
        SkiffNode stopped = nodes.get(0);
        assertThat(stopped.raft.stats().term()).as("stopped before bootstrapping").isZero();
        stopped.close(false);
        assertThat(stopped.raft.stats().lastLogIndex()).as("a node shutting down starts no cluster").isZero();
        nodes.clear();

        List<NodeSettings> all = List.of(settings("n1", table), settings("n2", table), settings("n3", table));
        startAll(all.subList(1, 3));
        startAll(all.subList(0, 1));
        awaitFormed(all);
        put(nodes.get(2), "formed", "yes");
        System.out.println("discovery cluster: formed after the lock holder stopped before bootstrapping and came back");
    }

    @Test
    void when_threeNewNodesStartWithRestoreFrom_then_oneRestoresAndTheOthersJoinIt() throws Exception {
        URI oldTable = tmp.resolve("old-discovery").toUri();
        List<NodeSettings> old = List.of(settings("old1", oldTable));
        startAll(old);
        awaitFormed(old);
        for (int i = 0; i < 20; i++) {
            put(nodes.get(0), "key" + i, "value" + i);
        }
        nodes.get(0).raft.snapshot().get();
        URI snapshots = old.get(0).snapshotsDir().toUri();
        nodes.forEach(n -> n.close(false));
        nodes.clear();

        URI table = tmp.resolve("new-discovery").toUri();
        List<NodeSettings> fresh = List.of(settings("r1", table, snapshots, tmp.resolve("r1")),
                settings("r2", table, snapshots, tmp.resolve("r2")), settings("r3", table, snapshots, tmp.resolve("r3")));
        startAll(fresh);
        awaitFormed(fresh);
        for (SkiffNode n : nodes) {
            assertThat(get(n, "key19")).isEqualTo("value19");
        }
    }

    private void put(SkiffNode n, String key, String value) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + n.apiAddress() + "/v1/kv/" + key))
                .PUT(HttpRequest.BodyPublishers.ofString(value)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private String get(SkiffNode n, String key) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                URI.create("http://" + n.apiAddress() + "/v1/kv/" + key + "?consistency=consistent")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }
}
