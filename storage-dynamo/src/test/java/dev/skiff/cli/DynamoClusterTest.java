package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.raft.RaftConfig;
import dev.skiff.raft.Server;
import dev.skiff.storage.dynamo.DynamoEmulatorAccess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes as {@code skiff node} runs them, with {@code --stable dynamodb://…} and
 * {@code --discovery dynamodb://…} on the DynamoDB emulator, through the ServiceLoader provider: they
 * form a cluster from the discovery table alone, re-form after every node moved to new ports,
 * and a node that lost its data dir refuses to start as its old self.
 */
class DynamoClusterTest {

    @TempDir
    Path tmp;
    private final List<SkiffNode> nodes = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
    private static String endpoint;

    @BeforeAll
    static void emulator() {
        endpoint = DynamoEmulatorAccess.endpoint().toString();
        // The provider's clients use the SDK's default credential chain, which reads these.
        System.setProperty("aws.accessKeyId", "test");
        System.setProperty("aws.secretAccessKey", "test");
    }

    @AfterEach
    void stop() {
        nodes.forEach(n -> n.close(false));
    }

    private NodeSettings settings(String id, String cluster) {
        HostPort api = new HostPort("127.0.0.1", freePort());
        HostPort raft = new HostPort("127.0.0.1", freePort());
        Path data = tmp.resolve(id);
        String params = "region=us-east-1&endpoint=" + endpoint;
        StorageSettings storage = new StorageSettings(cluster, null, URI.create("dynamodb://skiff-stable?" + params),
                URI.create("dynamodb://skiff-discovery?cluster=" + cluster + "&" + params), null, true, Duration.ofMillis(200));
        return new NodeSettings(id, api, raft, api, raft, data, data.resolve("snapshots"), false, List.of(), null,
                NodeSettings.DEFAULT_MAX_VALUE_BYTES, NodeSettings.DEFAULT_REQUEST_TIMEOUT, RaftConfig.defaults(id), storage);
    }

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
        List<Tuple> expected = all.stream()
                .map(s -> Tuple.tuple(s.id(), s.raftAdvertise().toString(), s.apiAdvertise().toString()))
                .collect(Collectors.toList());
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            for (SkiffNode n : nodes) {
                assertThat(n.raft.leader()).isPresent();
                assertThat(n.raft.configuration().voters()).extracting(Server::id, Server::address, Server::apiAddress)
                        .containsExactlyInAnyOrderElementsOf(expected);
            }
        });
    }

    @Test
    void when_nodesStartWithDynamoDiscovery_then_theyForm_reformOnNewPorts_andAWipedNodeRejoins() throws Exception {
        String cluster = "c" + UUID.randomUUID().toString().substring(0, 8);
        List<NodeSettings> first = List.of(settings("n1", cluster), settings("n2", cluster), settings("n3", cluster));
        startAll(first);
        awaitFormed(first);
        put(nodes.get(2), "k", "v1");

        nodes.forEach(n -> n.close(false));
        nodes.clear();
        List<NodeSettings> moved = List.of(settings("n1", cluster), settings("n2", cluster), settings("n3", cluster));
        startAll(moved);
        awaitFormed(moved);
        assertThat(get(nodes.get(0), "k")).isEqualTo("v1");

        SkiffNode n3 = nodes.stream().filter(n -> n.settings.id().equals("n3")).findFirst().orElseThrow();
        n3.close(true);
        nodes.remove(n3);
        deleteRecursively(tmp.resolve("n3"));
        // Its term and vote live on in DynamoDB, its log is gone: it starts with a new log
        // incarnation, which the leader stages and promotes once caught up (issue #11).
        NodeSettings back = settings("n3", cluster);
        nodes.add(SkiffNode.start(back));
        List<NodeSettings> after = List.of(moved.get(0), moved.get(1), back);
        awaitFormed(after);
        SkiffNode rejoined = nodes.get(nodes.size() - 1);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(rejoined.raft.appliedIndex()).isGreaterThanOrEqualTo(nodes.get(0).raft.appliedIndex() - 5));
        assertThat(get(rejoined, "k")).isEqualTo("v1");
        System.out.println("dynamo cluster: formed through DynamoDB discovery, re-formed on new ports, wiped n3 rejoined");
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

    private static void deleteRecursively(Path dir) throws IOException {
        try (var files = java.nio.file.Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.delete(p);
            }
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
