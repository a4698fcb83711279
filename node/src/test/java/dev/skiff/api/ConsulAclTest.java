package dev.skiff.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skiff.acl.TokenSecrets;
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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Consul listener with ACLs on (API.md §7, §8): {@code X-Consul-Token}, {@code ?token=}
 * and Bearer go through the same tokens and rules as the native API, refusals are Consul's
 * (403, plain text, never the token), recursive reads are filtered, and nothing refused changes
 * anything. A real one-node Raft leader with its API and Consul listener.
 */
class ConsulAclTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
    private static final String MANAGEMENT = "management-secret-0123456789";
    private static Raft raft;
    private static KvStateMachine fsm;
    private static ApiServer api;
    private static String consul;
    /** A token with write on app/, read on app/config/ and nothing else. */
    private static String appToken;

    private record Reply(int status, String body, HttpResponse<String> raw) {
    }

    @BeforeAll
    static void startLeader() throws Exception {
        RaftConfig config = RaftConfig.defaults("n1")
                .withTimeouts(Duration.ofMillis(30), Duration.ofMillis(200), Duration.ofMillis(150));
        fsm = new KvStateMachine();
        raft = Raft.create(config, fsm, new InMemoryLogStore(), new InMemoryStableStore(),
                new InMemorySnapshotStore(2), new InMemoryNetwork().transport("n1:9001"));
        raft.bootstrapCluster(Configuration.of(new Server("n1", "n1:9001", dev.skiff.raft.Suffrage.VOTER, "n1:8001"))).join();
        await().atMost(Duration.ofSeconds(10)).until(() -> raft.state() == RaftState.LEADER);
        api = new ApiServer("127.0.0.1", 0, "n1", raft, fsm, new InMemorySnapshotStore(2), new ApiMetrics(raft), 1024,
                Duration.ofSeconds(5), new dev.skiff.storage.StorageHealth(), Path.of(System.getProperty("java.io.tmpdir")),
                HealthHandler.DEFAULT_READY_MAX_LAG, PeerApi.PLAIN, false, TokenSecrets.hash(MANAGEMENT), 2);
        consul = api.startConsul("127.0.0.1", 0);
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create("http://" + api.address() + "/v1/acl/tokens"))
                .header("X-Skiff-Token", MANAGEMENT)
                .POST(HttpRequest.BodyPublishers.ofString("{\"description\":\"app\",\"rules\":["
                        + "{\"prefix\":\"app/\",\"access\":\"write\"},{\"prefix\":\"app/config/\",\"access\":\"read\"}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
        appToken = JSON.readTree(created.body()).path("secretId").asText();
        assertThat(consulAs(MANAGEMENT, "PUT", "/v1/kv/app/config/db", "postgres").body()).isEqualTo("true");
        assertThat(consulAs(MANAGEMENT, "PUT", "/v1/kv/secret/key", "hidden").body()).isEqualTo("true");
    }

    @AfterAll
    static void stop() {
        api.close();
        raft.shutdown().join();
    }

    private static Reply consulAs(String token, String method, String pathAndQuery, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + consul + pathAndQuery))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("X-Consul-Token", token);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body(), r);
    }

    private static Reply consul(String method, String pathAndQuery, String body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + consul + pathAndQuery))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body(), r);
    }

    @Test
    void withoutAToken_everythingButStatusIs403AndChangesNothing() throws Exception {
        long applied = fsm.appliedIndex();
        Reply put = consulAs(null, "PUT", "/v1/kv/app/x", "v");
        assertThat(put.status()).isEqualTo(403);
        assertThat(put.body()).startsWith("Permission denied: this cluster requires an ACL token; send it in X-Consul-Token");
        assertThat(put.raw().headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        assertThat(consulAs(null, "GET", "/v1/kv/app/config/db", null).status()).isEqualTo(403);
        assertThat(consulAs(null, "PUT", "/v1/session/create", "{}").status()).isEqualTo(403);
        assertThat(consulAs(null, "PUT", "/v1/txn", "[]").status()).isEqualTo(403);
        assertThat(consulAs(null, "GET", "/v1/agent/self", null).status()).isEqualTo(403);
        // Consul serves its status endpoints without a token.
        assertThat(consulAs(null, "GET", "/v1/status/leader", null).body()).isEqualTo("\"n1:9001\"");
        assertThat(consulAs(null, "GET", "/v1/status/peers", null).status()).isEqualTo(200);
        assertThat(fsm.appliedIndex()).isEqualTo(applied);
        assertThat(fsm.get("app/x")).isEmpty();
    }

    @Test
    void anUnknownOrMalformedToken_isACLNotFound_andNeverEchoed() throws Exception {
        long applied = fsm.appliedIndex();
        String unknown = "not-a-token-of-this-cluster-42";
        Reply r = consulAs(unknown, "PUT", "/v1/kv/app/x", "v");
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.body()).startsWith("ACL not found: the ACL token is not known here").doesNotContain(unknown);
        String tooLong = "x".repeat(300);
        Reply malformed = consulAs(tooLong, "GET", "/v1/kv/app/config/db", null);
        assertThat(malformed.status()).isEqualTo(403);
        assertThat(malformed.body()).startsWith("ACL not found: the ACL token is malformed").doesNotContain(tooLong);
        Reply twice = consul("GET", "/v1/kv/app/config/db", null, Map.of());
        assertThat(twice.status()).isEqualTo(403);
        assertThat(fsm.appliedIndex()).isEqualTo(applied);
    }

    @Test
    void theTokenWorksInEachPlaceConsulClientsPutIt() throws Exception {
        assertThat(consulAs(appToken, "GET", "/v1/kv/app/config/db?raw", null).body()).isEqualTo("postgres");
        assertThat(consul("GET", "/v1/kv/app/config/db?raw&token=" + appToken, null, Map.of()).body()).isEqualTo("postgres");
        assertThat(consul("GET", "/v1/kv/app/config/db?raw", null, Map.of("Authorization", "Bearer " + appToken)).body())
                .isEqualTo("postgres");
        // The header wins over the query, as in Consul.
        assertThat(consul("GET", "/v1/kv/app/config/db?raw&token=wrong-token-wrong-token", null,
                Map.of("X-Consul-Token", appToken)).status()).isEqualTo(200);
    }

    @Test
    void keyRulesDecideReadsWritesAndLocks() throws Exception {
        assertThat(consulAs(appToken, "PUT", "/v1/kv/app/feature", "on").body()).isEqualTo("true");
        Reply readOnly = consulAs(appToken, "PUT", "/v1/kv/app/config/db", "mysql");
        assertThat(readOnly.status()).isEqualTo(403);
        assertThat(readOnly.body()).isEqualTo("Permission denied: this token may not write the key \"app/config/db\"");
        assertThat(consulAs(appToken, "GET", "/v1/kv/secret/key", null).status()).isEqualTo(403);
        assertThat(consulAs(appToken, "DELETE", "/v1/kv/secret/key", null).status()).isEqualTo(403);
        assertThat(fsm.get("app/config/db").orElseThrow().value()).isEqualTo("postgres".getBytes());
        assertThat(fsm.get("secret/key")).isPresent();

        // Sessions need a valid token; the lock then needs write on the key.
        String session = JSON.readTree(consulAs(appToken, "PUT", "/v1/session/create", "{\"Name\":\"app\"}").body())
                .path("ID").asText();
        assertThat(consulAs(appToken, "PUT", "/v1/kv/app/leader?acquire=" + session, "me").body()).isEqualTo("true");
        assertThat(consulAs(appToken, "PUT", "/v1/kv/app/config/leader?acquire=" + session, "me").status()).isEqualTo(403);
        assertThat(consulAs(appToken, "PUT", "/v1/session/destroy/" + session, null).body()).isEqualTo("true");
        // Operator rights: the app token has none.
        assertThat(consulAs(appToken, "GET", "/v1/agent/self", null).body())
                .isEqualTo("Permission denied: this token's operator right is \"none\"; /v1/agent/self needs operator \"read\"");
        assertThat(consulAs(MANAGEMENT, "GET", "/v1/agent/self", null).status()).isEqualTo(200);
    }

    @Test
    void recursiveReadsAreFilteredAndRecursiveDeletesNeedTheWholePrefix() throws Exception {
        Reply all = consulAs(appToken, "GET", "/v1/kv/?recurse", null);
        assertThat(all.status()).isEqualTo(200);
        JsonNode entries = JSON.readTree(all.body());
        for (JsonNode e : entries) {
            assertThat(e.path("Key").asText()).startsWith("app/");
        }
        assertThat(all.raw().headers().firstValue("X-Consul-Results-Filtered-By-ACLs")).contains("true");
        Reply keys = consulAs(appToken, "GET", "/v1/kv/?keys", null);
        assertThat(keys.body()).contains("app/config/db").doesNotContain("secret");
        assertThat(consulAs(MANAGEMENT, "GET", "/v1/kv/?recurse", null).raw().headers()
                .firstValue("X-Consul-Results-Filtered-By-ACLs")).isEmpty();

        // app/ holds the read-only app/config/: deleting app/ recursively is refused, and nothing goes.
        Reply tree = consulAs(appToken, "DELETE", "/v1/kv/app/?recurse", null);
        assertThat(tree.status()).isEqualTo(403);
        assertThat(tree.body()).contains("may not write every key under the prefix \"app/\"");
        assertThat(fsm.get("app/config/db")).isPresent();
        assertThat(consulAs(appToken, "PUT", "/v1/kv/app/tmp/a", "1").body()).isEqualTo("true");
        assertThat(consulAs(appToken, "DELETE", "/v1/kv/app/tmp/?recurse", null).body()).isEqualTo("true");
        assertThat(fsm.get("app/tmp/a")).isEmpty();
    }

    @Test
    void aTransactionIsRefusedWholeIfAnyOperationIsNotAllowed_andGetTreeIsFiltered() throws Exception {
        String value = Base64.getEncoder().encodeToString("x".getBytes());
        long applied = fsm.appliedIndex();
        Reply refused = consulAs(appToken, "PUT", "/v1/txn", "[{\"KV\":{\"Verb\":\"set\",\"Key\":\"app/t1\",\"Value\":\""
                + value + "\"}},{\"KV\":{\"Verb\":\"set\",\"Key\":\"secret/t2\",\"Value\":\"" + value + "\"}}]");
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.body()).isEqualTo("Permission denied: this token may not write the key \"secret/t2\"");
        assertThat(fsm.appliedIndex()).isEqualTo(applied);
        assertThat(fsm.get("app/t1")).isEmpty();

        Reply tree = consulAs(appToken, "PUT", "/v1/txn", "[{\"KV\":{\"Verb\":\"get-tree\",\"Key\":\"\"}}]");
        assertThat(tree.status()).as(tree.body()).isEqualTo(200);
        for (JsonNode r : JSON.readTree(tree.body()).path("Results")) {
            assertThat(r.path("KV").path("Key").asText()).startsWith("app/");
        }
        assertThat(consulAs(appToken, "PUT", "/v1/txn", "[{\"KV\":{\"Verb\":\"delete-tree\",\"Key\":\"app/\"}}]").status())
                .isEqualTo(403);
    }

    @Test
    void aDeletedToken_stopsWorking() throws Exception {
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create("http://" + api.address() + "/v1/acl/tokens"))
                .header("X-Skiff-Token", MANAGEMENT)
                .POST(HttpRequest.BodyPublishers.ofString("{\"rules\":[{\"prefix\":\"\",\"access\":\"read\"}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        JsonNode token = JSON.readTree(created.body());
        String secret = token.path("secretId").asText();
        assertThat(consulAs(secret, "GET", "/v1/kv/secret/key?raw", null).body()).isEqualTo("hidden");
        HttpResponse<String> deleted = http.send(HttpRequest.newBuilder(URI.create("http://" + api.address()
                        + "/v1/acl/tokens/" + token.path("accessorId").asText()))
                .header("X-Skiff-Token", MANAGEMENT).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(consulAs(secret, "GET", "/v1/kv/secret/key?raw", null).status()).isEqualTo(403);
    }
}
