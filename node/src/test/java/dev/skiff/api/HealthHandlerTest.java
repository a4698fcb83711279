package dev.skiff.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
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
import dev.skiff.storage.StorageHealth;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code /healthz} and {@code /readyz} of a real one-server Raft behind a real API server. */
class HealthHandlerTest {

    private final HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
    private Raft raft;
    private ApiServer api;

    @AfterEach
    void stop() {
        if (api != null) {
            api.close();
        }
        if (raft != null) {
            raft.shutdown().join();
        }
    }

    private void start(long readyMaxLag) throws Exception {
        RaftConfig config = RaftConfig.defaults("n1")
                .withTimeouts(Duration.ofMillis(30), Duration.ofMillis(200), Duration.ofMillis(150));
        KvStateMachine kv = new KvStateMachine();
        InMemorySnapshotStore snapshots = new InMemorySnapshotStore(2);
        raft = Raft.create(config, kv, new InMemoryLogStore(), new InMemoryStableStore(), snapshots,
                new InMemoryNetwork().transport("n1.local:9000"));
        raft.bootstrapCluster(Configuration.of(Server.voter("n1", "n1.local:9000"))).join();
        api = new ApiServer("127.0.0.1", 0, "n1", raft, kv, snapshots, new ApiMetrics(raft), 1 << 20,
                Duration.ofSeconds(5), new StorageHealth(), java.nio.file.Path.of(System.getProperty("java.io.tmpdir")), readyMaxLag);
        // Leader, and its first entry of the term committed: the commit index no longer moves.
        await().atMost(Duration.ofSeconds(10)).until(() -> raft.state() == RaftState.LEADER
                && raft.stats().commitIndex() == raft.stats().lastLogIndex());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + api.address() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return Responses.JSON.readTree(r.body());
    }

    @Test
    void healthyAndReadyWhileRaftRuns() throws Exception {
        start(HealthHandler.DEFAULT_READY_MAX_LAG);
        HttpResponse<String> health = get("/healthz");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(json(health).path("status").asText()).isEqualTo("ok");
        HttpResponse<String> ready = get("/readyz");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(json(ready).path("ready").asBoolean()).isTrue();
        assertThat(json(ready).path("leader_commit_index").asLong()).isEqualTo(raft.stats().commitIndex());
        assertThat(json(ready).path("max_lag").asLong()).isEqualTo(1000);
    }

    @Test
    void unhealthyAndNotReadyOnceRaftHasStopped() throws Exception {
        start(HealthHandler.DEFAULT_READY_MAX_LAG);
        raft.shutdown().join();

        HttpResponse<String> health = get("/healthz");
        assertThat(health.statusCode()).isEqualTo(503);
        assertThat(json(health).path("status").asText()).isEqualTo("stopped");
        assertThat(json(health).path("reason").asText()).contains("Raft has stopped");
        HttpResponse<String> ready = get("/readyz");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(json(ready).path("reason").asText()).contains("Raft has stopped");
    }
}
