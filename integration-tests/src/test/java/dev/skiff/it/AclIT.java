package dev.skiff.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skiff.it.cluster.ClusterExtension;
import dev.skiff.it.cluster.ClusterOptions;
import dev.skiff.it.cluster.HttpReply;
import dev.skiff.it.cluster.NodeClient;
import dev.skiff.it.cluster.NodeProcess;
import dev.skiff.it.cluster.ProcessCluster;
import dev.skiff.it.cluster.RawHttp;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * ACL tokens (API.md §7, issue #13) on a 3-node cluster of real processes started with {@code
 * --acl-bootstrap-token-file}: 401 without a token, 403 without the right, operator endpoints,
 * tokens replicated to every node (created on the leader, used through a follower; deleted, refused
 * everywhere), and 10,000 malformed or unauthorized requests that change nothing.
 */
class AclIT {

    private static final String MANAGEMENT = "acl-it-management-token-7f3a9c";

    @RegisterExtension
    static final ClusterExtension clusters = ClusterExtension.perClass();

    private static ProcessCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = clusters.start(3, ClusterOptions.defaults().withAclToken(MANAGEMENT).withFlags(KvApiIT.STEADY)
                .withFlags("--consul-addr", "127.0.0.1:0"));
    }

    /** A Consul-listener request to {@code node}, with {@code headers}; the answer's status and body. */
    private static java.net.http.HttpResponse<String> consul(NodeProcess node, String method, String pathAndQuery, String body,
                                                             Map<String, String> headers) throws Exception {
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
                        + ConsulClientsIT.consulPort(node) + pathAndQuery))
                .method(method, body == null ? java.net.http.HttpRequest.BodyPublishers.noBody()
                        : java.net.http.HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        try (var http = java.net.http.HttpClient.newBuilder().proxy(java.net.http.HttpClient.Builder.NO_PROXY).build()) {
            return http.send(request.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void theConsulListener_takesTheSameTokens_throughAFollowerToo() throws Exception {
        NodeProcess follower = follower();
        JsonNode app = createToken(cluster.awaitLeader(), "{\"rules\":[{\"prefix\":\"consul/\",\"access\":\"write\"}]}");
        String secret = app.path("secretId").asText();
        awaitEveryNode("the token applied", n -> as(n, secret).get("consul/none").status() == 404);

        var anonymous = consul(follower, "PUT", "/v1/kv/consul/a", "1", Map.of());
        assertThat(anonymous.statusCode()).isEqualTo(403);
        assertThat(anonymous.body()).startsWith("Permission denied: this cluster requires an ACL token");
        // A write through the follower goes to the leader with the token, which checks it again there.
        var written = consul(follower, "PUT", "/v1/kv/consul/a", "1", Map.of("X-Consul-Token", secret));
        assertThat(written.statusCode()).as(written.body()).isEqualTo(200);
        assertThat(written.body()).isEqualTo("true");
        assertThat(consul(follower, "PUT", "/v1/kv/consul/b?token=" + secret, "2", Map.of()).body()).isEqualTo("true");
        var denied = consul(follower, "PUT", "/v1/kv/other/a", "1", Map.of("X-Consul-Token", secret));
        assertThat(denied.statusCode()).isEqualTo(403);
        assertThat(denied.body()).isEqualTo("Permission denied: this token may not write the key \"other/a\"");
        assertThat(as(follower, MANAGEMENT).get("consul/a", "consistent").text()).isEqualTo("1");
        assertThat(as(follower, MANAGEMENT).get("other/a", "consistent").status()).isEqualTo(404);
    }

    private static NodeClient as(NodeProcess node, String token) {
        return node.client().withToken(token);
    }

    private static NodeProcess follower() {
        NodeProcess leader = cluster.awaitLeader();
        return cluster.nodes().stream().filter(n -> n != leader && n.isServing()).findFirst().orElseThrow();
    }

    /** Creates a token through {@code node}; returns its JSON (with secretId). */
    private static JsonNode createToken(NodeProcess node, String json) {
        HttpReply r = as(node, MANAGEMENT).send("POST", "/v1/acl/tokens", json.getBytes(StandardCharsets.UTF_8));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json();
    }

    private static void awaitEveryNode(String what, java.util.function.Predicate<NodeProcess> condition) {
        await(what).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> cluster.nodes().stream().filter(NodeProcess::isServing).allMatch(condition));
    }

    @Test
    void anonymousReadsAndWritesGet401AndTheHealthChecksNeedNoToken() {
        for (NodeProcess node : cluster.nodes()) {
            NodeClient anonymous = as(node, null);
            HttpReply put = anonymous.put("app/anon", "x");
            assertThat(put.status()).isEqualTo(401);
            assertThat(put.json().path("code").asText()).isEqualTo("unauthenticated");
            assertThat(put.header("WWW-Authenticate")).startsWith("Bearer");
            assertThat(anonymous.get("app/anon").status()).isEqualTo(401);
            assertThat(anonymous.send("GET", "/v1/kv/?prefix=", null).status()).isEqualTo(401);
            assertThat(anonymous.send("GET", "/v1/status", null).status()).isEqualTo(401);
            assertThat(as(node, "not-a-token-anyone-made").get("app/anon").status()).isEqualTo(401);
            for (String open : List.of("/healthz", "/readyz", "/metrics", "/ui/")) {
                assertThat(anonymous.send("GET", open, null).status()).as(open).isEqualTo(200);
            }
            // Authorization: Bearer works as well as X-Skiff-Token.
            HttpReply bearer = new NodeClient(java.net.http.HttpClient.newHttpClient(), node.apiUrl(), Duration.ofSeconds(10))
                    .send("GET", "/v1/status", null);
            assertThat(bearer.status()).isEqualTo(401);
            RawHttp.Answer raw = RawHttp.request(node.apiPort(), "GET", "/v1/status", "Authorization: Bearer " + MANAGEMENT + "\r\n", null);
            assertThat(raw.status()).isEqualTo(200);
            assertThat(raw.response()).doesNotContain(MANAGEMENT);
        }
        assertThat(as(cluster.awaitLeader(), MANAGEMENT).get("app/anon", "consistent").status()).isEqualTo(404);
    }

    @Test
    void aReadTokenOnAppReadsAppButNeitherWritesItNorReadsElsewhere() {
        NodeProcess leader = cluster.awaitLeader();
        assertThat(as(leader, MANAGEMENT).put("app/x", "v").status()).isEqualTo(200);
        assertThat(as(leader, MANAGEMENT).put("other/x", "secret").status()).isEqualTo(200);
        String reader = createToken(leader, "{\"description\":\"app reader\",\"rules\":[{\"prefix\":\"app/\",\"access\":\"read\"}]}")
                .path("secretId").asText();
        awaitEveryNode("the token reached every node", n -> as(n, reader).get("app/x", "stale").status() == 200);
        for (NodeProcess node : cluster.nodes()) {
            NodeClient c = as(node, reader);
            HttpReply read = c.get("app/x");
            assertThat(read.status()).as(node.id()).isEqualTo(200);
            assertThat(read.text()).isEqualTo("v");
            HttpReply write = c.put("app/x", "changed");
            assertThat(write.status()).isEqualTo(403);
            assertThat(write.json().path("code").asText()).isEqualTo("forbidden");
            assertThat(c.delete("app/x").status()).isEqualTo(403);
            assertThat(c.get("other/x").status()).isEqualTo(403);
            assertThat(c.get("other/x").text()).doesNotContain("secret");
            // A listing leaves out what the token may not read (as Consul filters a recursive read).
            HttpReply list = c.send("GET", "/v1/kv/?prefix=", null);
            assertThat(list.status()).isEqualTo(200);
            List<String> keys = new ArrayList<>();
            list.json().path("items").forEach(i -> keys.add(i.path("key").asText()));
            assertThat(keys).contains("app/x").noneMatch(k -> !k.startsWith("app/"));
        }
        assertThat(as(leader, MANAGEMENT).get("app/x", "consistent").text()).isEqualTo("v");
    }

    @Test
    void membershipSnapshotsTransferStatusAndAclsNeedTheOperatorRight() {
        NodeProcess leader = cluster.awaitLeader();
        String none = createToken(leader, "{\"rules\":[{\"prefix\":\"\",\"access\":\"write\"}]}").path("secretId").asText();
        String reader = createToken(leader, "{\"operator\":\"read\"}").path("secretId").asText();
        awaitEveryNode("tokens everywhere", n -> as(n, reader).send("GET", "/v1/status", null).status() == 200);
        String member = "{\"id\":\"n9\",\"raftAddress\":\"127.0.0.1:1\",\"apiAddress\":\"127.0.0.1:2\",\"voter\":false}";
        List<String[]> writes = List.of(
                new String[] {"POST", "/v1/cluster/members", member},
                new String[] {"PUT", "/v1/cluster/members/n3", "{\"apiAddress\":\"127.0.0.1:3\"}"},
                new String[] {"DELETE", "/v1/cluster/members/n3", null},
                new String[] {"POST", "/v1/cluster/leadership-transfer", null},
                new String[] {"POST", "/v1/snapshot", null},
                new String[] {"GET", "/v1/snapshot", null},
                new String[] {"PUT", "/v1/snapshot", "garbage"},
                new String[] {"POST", "/v1/acl/tokens", "{}"},
                new String[] {"DELETE", "/v1/acl/tokens/x", null});
        List<String[]> reads = List.of(new String[] {"GET", "/v1/cluster/members", null},
                new String[] {"GET", "/v1/status", null}, new String[] {"GET", "/v1/acl/tokens", null});
        for (NodeProcess node : cluster.nodes()) {
            for (String[] w : writes) {
                byte[] body = w[2] == null ? null : w[2].getBytes(StandardCharsets.UTF_8);
                assertThat(as(node, none).send(w[0], w[1], body).status()).as("operator none: " + w[0] + " " + w[1]).isEqualTo(403);
                assertThat(as(node, reader).send(w[0], w[1], body).status()).as("operator read: " + w[0] + " " + w[1]).isEqualTo(403);
            }
            for (String[] r : reads) {
                assertThat(as(node, none).send(r[0], r[1], null).status()).as(r[1]).isEqualTo(403);
                assertThat(as(node, reader).send(r[0], r[1], null).status()).as(r[1]).isEqualTo(200);
            }
        }
        assertThat(as(leader, MANAGEMENT).send("GET", "/v1/cluster/members", null).json().path("members")).hasSize(3);
        assertThat(cluster.awaitLeader()).isSameAs(leader);
        // The management token has them all.
        assertThat(as(follower(), MANAGEMENT).send("POST", "/v1/snapshot", null).status()).isEqualTo(200);
        JsonNode tokens = as(follower(), MANAGEMENT).send("GET", "/v1/acl/tokens", null).json();
        assertThat(tokens.toString()).doesNotContain(none).doesNotContain(reader).doesNotContain("secretId");
    }

    @Test
    void aTokenCreatedOnTheLeaderWorksThroughAFollowerAndOnceDeletedNowhere() {
        NodeProcess leader = cluster.awaitLeader();
        JsonNode created = createToken(leader, "{\"description\":\"writer\",\"rules\":[{\"prefix\":\"w/\",\"access\":\"write\"}]}");
        String secret = created.path("secretId").asText();
        String accessor = created.path("accessorId").asText();
        NodeProcess follower = follower();
        await("the follower knows the token").atMost(Duration.ofSeconds(20))
                .until(() -> as(follower, secret).get("w/none", "stale").status() == 404);
        // Checked on the follower, forwarded with the token, checked again on the leader.
        HttpReply put = as(follower, secret).put("w/through-follower", "1");
        assertThat(put.status()).as(put.toString()).isEqualTo(200);
        assertThat(as(leader, MANAGEMENT).get("w/through-follower", "consistent").text()).isEqualTo("1");

        HttpReply deleted = as(follower, MANAGEMENT).send("DELETE", "/v1/acl/tokens/" + accessor, null);
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.json().path("deleted").asBoolean()).isTrue();
        awaitEveryNode("the deleted token is refused everywhere", n -> as(n, secret).get("w/through-follower", "stale").status() == 401);
        for (NodeProcess node : cluster.nodes()) {
            assertThat(as(node, secret).put("w/after-delete", "1").status()).isEqualTo(401);
        }
        assertThat(as(leader, MANAGEMENT).get("w/after-delete", "consistent").status()).isEqualTo(404);
    }

    @Test
    void tenThousandMalformedOrUnauthorizedRequestsChangeNothing() {
        NodeProcess leader = cluster.awaitLeader();
        String reader = createToken(leader, "{\"rules\":[{\"prefix\":\"app/\",\"access\":\"read\"}],\"operator\":\"read\"}")
                .path("secretId").asText();
        awaitEveryNode("the reader everywhere", n -> as(n, reader).get("app/none", "stale").status() == 404);
        Map<String, Object> before = state(leader);
        long seed = System.nanoTime();
        Random random = new Random(seed);
        Map<Integer, AtomicInteger> statuses = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            NodeProcess node = cluster.nodes().get(random.nextInt(cluster.nodes().size()));
            Probe p = Probe.random(random, reader, i);
            int status;
            if (p.raw || p.path.contains("%zz")) {
                // Raw bytes: what a java.net client refuses to send (a bad escape, a Latin-1 header).
                String headers = p.headers != null ? p.headers : p.token == null ? null : "X-Skiff-Token: " + p.token + "\r\n";
                status = RawHttp.request(node.apiPort(), p.method, p.path, headers, p.body).status();
            } else {
                status = as(node, p.token).send(p.method, p.path, p.body).status();
            }
            statuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
            if (status < 400 || status >= 500 || (p.expected != 0 && status != p.expected)) {
                problems.add(p + " -> " + status);
            }
        }
        System.out.println("AclIT fuzz seed=" + seed + " statuses=" + statuses);
        assertThat(problems).as("seed " + seed).isEmpty();
        assertThat(state(cluster.awaitLeader())).as("seed " + seed).isEqualTo(before);
    }

    /** Everything a request could change: the keys and values, the tokens, the members. */
    private static Map<String, Object> state(NodeProcess node) {
        NodeClient m = as(node, MANAGEMENT);
        return Map.of("kv", m.send("GET", "/v1/kv/?prefix=&limit=10000&consistency=consistent", null).json().path("items").toString(),
                "tokens", m.send("GET", "/v1/acl/tokens", null).json().toString(),
                "members", m.send("GET", "/v1/cluster/members", null).json().path("members").toString());
    }

    /** One random request that must be refused (4xx): {@code expected} is its exact status, or 0 for any 4xx. */
    private record Probe(String method, String path, String token, String headers, byte[] body, boolean raw, int expected) {

        private static final String[] METHODS = {"GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS"};
        private static final String[] PATHS = {"/v1/kv/app/x", "/v1/kv/other/x", "/v1/kv/", "/v1/kv", "/v1/cluster/members",
                "/v1/cluster/members/n1", "/v1/cluster/leadership-transfer", "/v1/snapshot", "/v1/acl/tokens",
                "/v1/acl/tokens/abc", "/v1/status", "/v1/nope", "/v1/kv/%zz", "/v1/kv/a?cas=x", "/v1/kv/app/x?bogus=1"};

        static Probe random(Random r, String readToken, int i) {
            String path = PATHS[r.nextInt(PATHS.length)];
            String method = METHODS[r.nextInt(METHODS.length)];
            byte[] body = r.nextBoolean() ? null : garbage(r);
            return switch (i % 4) {
                // No token, or one nobody made, anywhere but the public paths: 401.
                case 0 -> new Probe(method, path, r.nextBoolean() ? null : randomToken(r), null, body, false, 401);
                case 1 -> {
                    String header = switch (r.nextInt(4)) {
                        case 0 -> "Authorization: Basic " + randomToken(r) + "\r\n";
                        case 1 -> "Authorization: Bearer\r\n";
                        case 2 -> "X-Skiff-Token: " + MANAGEMENT + "x\r\n";
                        default -> "X-Skiff-Token: \u00ff\u00fe" + r.nextInt() + "\r\n";
                    };
                    yield new Probe(method, path, null, header, body, true, 401);
                }
                // The read token trying what it may not: 403.
                case 2 -> {
                    String[][] forbidden = {{"PUT", "/v1/kv/app/x"}, {"DELETE", "/v1/kv/app/x"}, {"GET", "/v1/kv/other/x"},
                            {"PUT", "/v1/kv/other/" + r.nextInt(100)}, {"POST", "/v1/cluster/members"},
                            {"DELETE", "/v1/cluster/members/n1"}, {"POST", "/v1/cluster/leadership-transfer"},
                            {"POST", "/v1/snapshot"}, {"PUT", "/v1/snapshot"}, {"GET", "/v1/snapshot"},
                            {"POST", "/v1/acl/tokens"}, {"DELETE", "/v1/acl/tokens/abc"}, {"PATCH", "/v1/status"}};
                    String[] f = forbidden[r.nextInt(forbidden.length)];
                    yield new Probe(f[0], f[1], readToken, null, body, false, 403);
                }
                // The management token with malformed requests: some 4xx, never a change.
                default -> {
                    String[][] malformed = {{"POST", "/v1/acl/tokens"}, {"POST", "/v1/cluster/members"},
                            {"PUT", "/v1/cluster/members/n1"}, {"PATCH", "/v1/kv/app/x"}, {"PUT", "/v1/kv/app/x?cas=abc"},
                            {"DELETE", "/v1/acl/tokens/bad!id"}, {"PUT", "/v1/kv/?prefix=x"}, {"GET", "/v1/kv/?limit=0"},
                            {"POST", "/v1/kv/app/x"}, {"GET", "/v1/nope"}, {"DELETE", "/v1/kv/app/x?bogus=" + r.nextInt()}};
                    String[] m = malformed[r.nextInt(malformed.length)];
                    byte[] bad = m[0].equals("POST") || m[0].equals("PUT") ? badJson(r) : body;
                    yield new Probe(m[0], m[1], MANAGEMENT, null, bad, false, 0);
                }
            };
        }

        private static String randomToken(Random r) {
            StringBuilder b = new StringBuilder();
            for (int n = 1 + r.nextInt(60); n > 0; n--) {
                b.append((char) (33 + r.nextInt(94)));
            }
            return b.toString();
        }

        private static byte[] garbage(Random r) {
            byte[] b = new byte[r.nextInt(64)];
            r.nextBytes(b);
            return b;
        }

        private static byte[] badJson(Random r) {
            String[] bodies = {"", "{", "[]", "null", "{\"rules\":5}", "{\"rules\":[{\"prefix\":1,\"access\":\"read\"}]}",
                    "{\"operator\":\"root\"}", "{\"rules\":[{\"prefix\":\"a\",\"access\":\"all\"}]}", "{\"x\":1}",
                    "{\"id\":\"n1\",\"raftAddress\":\"nohost\",\"apiAddress\":\"x\"}", "{\"description\":7}",
                    "{\"raftAddress\":\"\"}", "{\"a\":1} trailing", "{\"description\":\"d\",\"description\":\"e\"}"};
            return r.nextInt(5) == 0 ? garbage(r) : bodies[r.nextInt(bodies.length)].getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return method + " " + path + " token=" + (token == null ? "none" : token.equals(MANAGEMENT) ? "management" : "other")
                    + (raw ? " raw" : "") + " expected=" + expected;
        }
    }
}
