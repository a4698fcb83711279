package dev.skiff.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skiff.kv.KvStateMachine;
import dev.skiff.raft.Configuration;
import dev.skiff.raft.InMemoryLogStore;
import dev.skiff.raft.InMemoryNetwork;
import dev.skiff.raft.InMemorySnapshotStore;
import dev.skiff.raft.InMemoryStableStore;
import dev.skiff.raft.Raft;
import dev.skiff.raft.RaftConfig;
import dev.skiff.raft.RaftState;
import dev.skiff.raft.Server;
import dev.skiff.raft.Suffrage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The read parameters of the Consul listener's {@code GET /v1/kv/...} (API.md §8) one by one:
 * {@code keys} with and without {@code separator}, {@code raw}, {@code recurse}, {@code dc}
 * (ignored, as one datacenter), {@code consistent} and {@code stale} (the mode the answer says
 * it used), and a blocking read of a prefix, which a change of any key under it wakes. A real
 * one-node Raft leader with its API and Consul listener.
 */
class ConsulKvParametersTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
    private static Raft raft;
    private static ApiServer api;
    private static String consul;

    @BeforeAll
    static void startLeader() throws Exception {
        RaftConfig config = RaftConfig.defaults("n1")
                .withTimeouts(Duration.ofMillis(30), Duration.ofMillis(200), Duration.ofMillis(150));
        KvStateMachine fsm = new KvStateMachine();
        raft = Raft.create(config, fsm, new InMemoryLogStore(), new InMemoryStableStore(),
                new InMemorySnapshotStore(2), new InMemoryNetwork().transport("n1:9001"));
        raft.bootstrapCluster(Configuration.of(new Server("n1", "n1:9001", Suffrage.VOTER, "n1:8001"))).join();
        await().atMost(Duration.ofSeconds(10)).until(() -> raft.state() == RaftState.LEADER);
        api = new ApiServer("127.0.0.1", 0, "n1", raft, fsm, new InMemorySnapshotStore(2), new ApiMetrics(raft), 1024,
                Duration.ofSeconds(5));
        consul = api.startConsul("127.0.0.1", 0);
        for (String key : List.of("cfg/db/host", "cfg/db/port", "cfg/name", "cfg/web/tls/cert", "other")) {
            assertThat(send("PUT", "/v1/kv/" + key, "v-" + key).body()).isEqualTo("true");
        }
    }

    @AfterAll
    static void stop() {
        api.close();
        raft.shutdown().join();
    }

    private static HttpResponse<String> send(String method, String pathAndQuery, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + consul + pathAndQuery))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> strings(String json) throws Exception {
        List<String> out = new ArrayList<>();
        JSON.readTree(json).forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    void keys_listsEveryKeyUnderThePrefix_andSeparatorFoldsThemAtItsFirstOccurrence() throws Exception {
        assertThat(strings(send("GET", "/v1/kv/cfg/?keys", null).body()))
                .containsExactly("cfg/db/host", "cfg/db/port", "cfg/name", "cfg/web/tls/cert");
        assertThat(strings(send("GET", "/v1/kv/cfg/?keys&separator=/", null).body()))
                .containsExactly("cfg/db/", "cfg/name", "cfg/web/");
        assertThat(strings(send("GET", "/v1/kv/cfg/db?keys&separator=/", null).body()))
                .as("the separator is looked for after the prefix").containsExactly("cfg/db/");
        assertThat(strings(send("GET", "/v1/kv/cfg/?keys&separator=", null).body()))
                .as("an empty separator folds nothing").hasSize(4);
        HttpResponse<String> none = send("GET", "/v1/kv/nothing/?keys&separator=/", null);
        assertThat(none.statusCode()).isEqualTo(404);
        assertThat(none.body()).isEmpty();
    }

    @Test
    void raw_returnsTheValueBytes_andRecurseReturnsEveryEntryUnderThePrefix() throws Exception {
        HttpResponse<String> raw = send("GET", "/v1/kv/cfg/name?raw", null);
        assertThat(raw.statusCode()).isEqualTo(200);
        assertThat(raw.body()).isEqualTo("v-cfg/name");

        JsonNode entries = JSON.readTree(send("GET", "/v1/kv/cfg/db/?recurse", null).body());
        assertThat(entries).hasSize(2);
        assertThat(entries.get(0).path("Key").asText()).isEqualTo("cfg/db/host");
        assertThat(entries.get(1).path("Key").asText()).isEqualTo("cfg/db/port");
        assertThat(entries.get(0).path("Value").asText()).isEqualTo(java.util.Base64.getEncoder().encodeToString(
                "v-cfg/db/host".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    @Test
    void dc_isIgnoredOnReadsAndWrites() throws Exception {
        assertThat(send("PUT", "/v1/kv/dc-key?dc=dc1", "x").body()).isEqualTo("true");
        HttpResponse<String> read = send("GET", "/v1/kv/dc-key?dc=elsewhere&raw", null);
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(read.body()).isEqualTo("x");
    }

    @Test
    void consistentAndStale_answerInTheModeTheyNameAndSayWhichTheyUsed() throws Exception {
        for (String[] c : new String[][] {{"", "leader"}, {"&consistent", "consistent"}, {"&stale", "stale"}}) {
            HttpResponse<String> r = send("GET", "/v1/kv/cfg/name?raw" + c[0], null);
            assertThat(r.statusCode()).as(c[0]).isEqualTo(200);
            assertThat(r.body()).isEqualTo("v-cfg/name");
            assertThat(r.headers().firstValue("X-Consul-Effective-Consistency")).as(c[0]).hasValue(c[1]);
            assertThat(r.headers().firstValue("X-Consul-KnownLeader")).hasValue("true");
            assertThat(Long.parseLong(r.headers().firstValue("X-Consul-Index").orElseThrow())).isPositive();
        }
    }

    @Test
    void aBlockingReadOfAPrefix_wakesWhenAKeyUnderItChanges() throws Exception {
        HttpResponse<String> first = send("GET", "/v1/kv/watched/?recurse", null);
        long index = Long.parseLong(first.headers().firstValue("X-Consul-Index").orElseThrow());
        long started = System.nanoTime();
        CompletableFuture<HttpResponse<String>> blocked = http.sendAsync(HttpRequest.newBuilder(
                URI.create("http://" + consul + "/v1/kv/watched/?recurse&index=" + index + "&wait=20s")).build(),
                HttpResponse.BodyHandlers.ofString());
        Thread.sleep(200);
        assertThat(blocked).as("nothing changed yet: the read waits").isNotDone();
        assertThat(send("PUT", "/v1/kv/watched/a/b", "1").body()).isEqualTo("true");

        HttpResponse<String> woke = blocked.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("woken by the write, not by the 20 s wait")
                .isLessThan(Duration.ofSeconds(10));
        assertThat(woke.statusCode()).isEqualTo(200);
        assertThat(Long.parseLong(woke.headers().firstValue("X-Consul-Index").orElseThrow())).isGreaterThan(index);
        assertThat(JSON.readTree(woke.body()).get(0).path("Key").asText()).isEqualTo("watched/a/b");
    }
}
