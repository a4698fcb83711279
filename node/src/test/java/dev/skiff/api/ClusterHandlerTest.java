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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The strict membership API of API.md §6 against a real one-node Raft leader and its HTTP API:
 * POST only adds (409 {@code member_exists} for a known id at other addresses), PUT only changes
 * a member's addresses (404 for an unknown id), every malformed body is a 400 in our own words
 * and changes nothing.
 */
class ClusterHandlerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
    private static Raft raft;
    private static ApiServer api;

    private record Reply(int status, JsonNode json, String allow) {
        String error() {
            return json.path("error").asText();
        }

        String code() {
            return json.path("code").asText();
        }
    }

    @BeforeAll
    static void startLeader() throws Exception {
        RaftConfig config = RaftConfig.defaults("n1")
                .withTimeouts(Duration.ofMillis(30), Duration.ofMillis(200), Duration.ofMillis(150));
        raft = Raft.create(config, new KvStateMachine(), new InMemoryLogStore(), new InMemoryStableStore(),
                new InMemorySnapshotStore(2), new InMemoryNetwork().transport("n1:9001"));
        raft.bootstrapCluster(Configuration.of(new Server("n1", "n1:9001", dev.skiff.raft.Suffrage.VOTER, "n1:8001"))).join();
        await().atMost(Duration.ofSeconds(10)).until(() -> raft.state() == RaftState.LEADER);
        api = new ApiServer("127.0.0.1", 0, "n1", raft, new KvStateMachine(), new InMemorySnapshotStore(2),
                new ApiMetrics(raft), 1024, Duration.ofSeconds(5));
    }

    @AfterAll
    static void stop() {
        api.close();
        raft.shutdown().join();
    }

    private static Reply send(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + api.address() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body()),
                r.headers().firstValue("Allow").orElse(null));
    }

    private static List<Server> members() {
        return raft.configuration().servers();
    }

    @Test
    void when_membersAreAddedMovedAndRemoved_then_eachMethodDoesOnlyItsOwnChange() throws Exception {
        String n2 = "{\"id\":\"n2\",\"raftAddress\":\"n2:9001\",\"apiAddress\":\"n2:8001\",\"voter\":false}";
        Reply added = send("POST", "/v1/cluster/members", n2);
        assertThat(added.status()).as("%s", added).isEqualTo(200);
        assertThat(added.json().path("changed").asBoolean()).isTrue();

        Reply again = send("POST", "/v1/cluster/members", n2);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.json().path("changed").asBoolean()).isFalse();

        Reply typo = send("POST", "/v1/cluster/members",
                "{\"id\":\"n2\",\"raftAddress\":\"n2:9011\",\"apiAddress\":\"n2:8001\",\"voter\":false}");
        assertThat(typo.status()).isEqualTo(409);
        assertThat(typo.code()).isEqualTo("member_exists");
        assertThat(typo.error()).isEqualTo("member n2 already exists with raftAddress n2:9001 and apiAddress n2:8001; "
                + "POST only adds new members: change its addresses with PUT /v1/cluster/members/n2, or remove it first with DELETE");
        assertThat(raft.configuration().server("n2").orElseThrow().address()).isEqualTo("n2:9001");

        Reply sameAddress = send("POST", "/v1/cluster/members",
                "{\"id\":\"n3\",\"raftAddress\":\"n2:9001\",\"apiAddress\":\"n3:8001\",\"voter\":false}");
        assertThat(sameAddress.status()).isEqualTo(409);
        assertThat(sameAddress.code()).isEqualTo("address_in_use");

        Reply moved = send("PUT", "/v1/cluster/members/n2", "{\"raftAddress\":\"n2b:9001\"}");
        assertThat(moved.status()).as("%s", moved).isEqualTo(200);
        assertThat(moved.json().path("changed").asBoolean()).isTrue();
        Server n2now = raft.configuration().server("n2").orElseThrow();
        assertThat(n2now.address()).isEqualTo("n2b:9001");
        assertThat(n2now.apiAddress()).as("a field left out keeps its value").isEqualTo("n2:8001");
        assertThat(n2now.isVoter()).as("PUT keeps the suffrage").isFalse();

        Reply unchanged = send("PUT", "/v1/cluster/members/n2", "{\"raftAddress\":\"n2b:9001\",\"apiAddress\":\"n2:8001\"}");
        assertThat(unchanged.status()).isEqualTo(200);
        assertThat(unchanged.json().path("changed").asBoolean()).isFalse();

        Reply unknown = send("PUT", "/v1/cluster/members/n9", "{\"raftAddress\":\"n9:9001\"}");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.error()).isEqualTo("no member with id n9; add it with POST /v1/cluster/members");

        Reply self = send("PUT", "/v1/cluster/members/n1", "{\"raftAddress\":\"elsewhere:9001\"}");
        assertThat(self.status()).isEqualTo(409);
        assertThat(raft.configuration().server("n1").orElseThrow().address()).isEqualTo("n1:9001");

        assertThat(send("DELETE", "/v1/cluster/members/n2", null).status()).isEqualTo(200);
        assertThat(send("DELETE", "/v1/cluster/members/n2", null).status()).isEqualTo(404);
        assertThat(members()).extracting(Server::id).containsExactly("n1");
    }

    @Test
    void when_aBodyIsMalformed_then_400InOurWordsAndNothingChanges() throws Exception {
        List<Server> before = members();
        String[][] cases = {
            {"", "the body is empty; send a JSON object {\"id\":\"n4\",\"raftAddress\":\"host:port\",\"apiAddress\":\"host:port\",\"voter\":true}"},
            {"{not json", "the body is not valid JSON (line 1, column 2); send a JSON object {\"id\":\"n4\",\"raftAddress\":\"host:port\",\"apiAddress\":\"host:port\",\"voter\":true}"},
            {"[1,2]", "the body must be a JSON object {\"id\":\"n4\",\"raftAddress\":\"host:port\",\"apiAddress\":\"host:port\",\"voter\":true}, got an array"},
            {"{\"id\":\"n4\",\"raftAddress\":\"n4:9001\",\"apiAddress\":\"n4:8001\"} trailing",
                "the body is not valid JSON (line 1, column 68); send a JSON object {\"id\":\"n4\",\"raftAddress\":\"host:port\",\"apiAddress\":\"host:port\",\"voter\":true}"},
            {"{\"id\":\"n4\",\"id\":\"n5\",\"raftAddress\":\"n4:9001\",\"apiAddress\":\"n4:8001\"}",
                "the body is not valid JSON (line 1, column 16): field 'id' is given more than once; send a JSON object {\"id\":\"n4\",\"raftAddress\":\"host:port\",\"apiAddress\":\"host:port\",\"voter\":true}"},
            {"{\"id\":\"n4\",\"raftAddress\":\"n4:9001\",\"apiAddress\":\"n4:8001\",\"votr\":true}",
                "unknown field 'votr'; the fields here are id, raftAddress, apiAddress, voter"},
            {"{\"id\":\"n4\",\"raftAddress\":\"n4:9001\",\"apiAddress\":\"n4:8001\",\"voter\":\"yes\"}",
                "field 'voter' must be true or false, got a string \"yes\""},
            {"{\"id\":4,\"raftAddress\":\"n4:9001\",\"apiAddress\":\"n4:8001\"}", "field 'id' must be a non-empty string, got a number 4"},
            {"{\"raftAddress\":\"n4:9001\",\"apiAddress\":\"n4:8001\"}",
                "field 'id' is required; send a JSON object {\"id\":\"n4\",\"raftAddress\":\"host:port\",\"apiAddress\":\"host:port\",\"voter\":true}"},
            {"{\"id\":\"n4\",\"raftAddress\":\"n4:9001\"}",
                "field 'apiAddress' is required; send a JSON object {\"id\":\"n4\",\"raftAddress\":\"host:port\",\"apiAddress\":\"host:port\",\"voter\":true}"},
            {"{\"id\":\"../n4\",\"raftAddress\":\"n4:9001\",\"apiAddress\":\"n4:8001\"}",
                "field 'id': '../n4' is not a valid member id: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"},
            {"{\"id\":\"n4\",\"raftAddress\":\"nohost\",\"apiAddress\":\"n4:8001\"}",
                "field 'raftAddress': 'nohost' has no port: give host:port, e.g. 10.0.0.5:9001"},
            {"{\"id\":\"n4\",\"raftAddress\":\"n4:0\",\"apiAddress\":\"n4:8001\"}",
                "field 'raftAddress': 'n4:0' has a bad port: it must be 1..65535"},
            {"{\"id\":\"n4\",\"raftAddress\":\"n4:9001\",\"apiAddress\":\"http://n4:8001\"}",
                "field 'apiAddress': 'http://n4:8001' is not host:port: the host must be a name, an IPv4 address or a bracketed IPv6 address (no scheme, path or spaces)"},
        };
        for (String[] c : cases) {
            Reply r = send("POST", "/v1/cluster/members", c[0]);
            assertThat(r.status()).as("%s → %s", c[0], r).isEqualTo(400);
            assertThat(r.code()).isEqualTo("bad_request");
            assertThat(r.error()).as(c[0]).isEqualTo(c[1]);
        }
        String[][] puts = {
            {"{}", "nothing to change: send {\"raftAddress\":\"host:port\",\"apiAddress\":\"host:port\"} (either may be left out)"},
            {"{\"raftAddress\":\"n1:9001\",\"voter\":true}", "unknown field 'voter'; the fields here are raftAddress, apiAddress"},
            {"{\"raftAddress\":\"\"}", "field 'raftAddress' must be a non-empty string, got a string \"\""},
        };
        for (String[] c : puts) {
            Reply r = send("PUT", "/v1/cluster/members/n1", c[0]);
            assertThat(r.status()).as("%s → %s", c[0], r).isEqualTo(400);
            assertThat(r.error()).isEqualTo(c[1]);
        }
        assertThat(members()).isEqualTo(before);
    }

    @Test
    void when_theMemberIdIsEmptyOrTheMethodWrong_then_400Or405WithTheAllowedMethods() throws Exception {
        Reply empty = send("DELETE", "/v1/cluster/members/", null);
        assertThat(empty.status()).isEqualTo(400);
        assertThat(empty.error()).isEqualTo("the member id is missing: DELETE /v1/cluster/members/{id}");
        assertThat(send("PUT", "/v1/cluster/members/", "{\"raftAddress\":\"a:1\"}").status()).isEqualTo(400);
        Reply get = send("GET", "/v1/cluster/members/n1", null);
        assertThat(get.status()).isEqualTo(405);
        assertThat(get.allow()).isEqualTo("PUT, DELETE");
        assertThat(send("PUT", "/v1/cluster/members", "{}").allow()).isEqualTo("GET, POST");
    }
}
