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
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The key-value API of API.md §2 against one 3-node cluster shared by the class: forwarding
 * through followers, CAS, consistency modes and their headers, listing with paging, and every
 * bad input getting its documented status without changing anything.
 */
class KvApiIT {

    private static final int MAX_VALUE_BYTES = 4096;
    /**
     * Raft timing for tests that assert that nothing changed (same leader, same term, no new
     * log entry): on two busy cores a starved process can miss a 500 ms election timeout, and
     * the election it causes is no failure of what these tests check.
     */
    static final String[] STEADY = {"--election-timeout", "2s", "--heartbeat-interval", "100ms"};

    @RegisterExtension
    static final ClusterExtension clusters = ClusterExtension.perClass();

    private static ProcessCluster cluster;
    private static NodeProcess leader;
    private static NodeProcess follower;

    @BeforeAll
    static void startCluster() {
        cluster = clusters.start(3, ClusterOptions.defaults().withFlags("--max-value-bytes", Integer.toString(MAX_VALUE_BYTES)).withFlags(STEADY));
        leader = cluster.awaitLeader();
        follower = cluster.nodes().stream().filter(n -> n != leader).findFirst().orElseThrow();
    }

    /** The leader as it is now (a test may not rely on the one found at start if an election happened). */
    private static NodeClient viaFollower() {
        return follower.client();
    }

    @Test
    void when_writesAndConsistentReadsGoToAFollower_then_theyAreForwardedToTheLeader() {
        HttpReply put = viaFollower().put("fwd/a", "one");
        assertThat(put.status()).as("%s", put).isEqualTo(200);
        long index = put.json().path("index").asLong();
        assertThat(index).isPositive();

        HttpReply get = viaFollower().get("fwd/a", "consistent");
        assertThat(get.status()).isEqualTo(200);
        assertThat(get.text()).isEqualTo("one");
        assertThat(get.header("Content-Type")).isEqualTo("application/octet-stream");
        assertThat(get.longHeader("X-Skiff-Modify-Index")).hasValue(index);
        assertThat(get.longHeader("X-Skiff-Index").orElseThrow()).isGreaterThanOrEqualTo(index);
        assertThat(get.header("X-Skiff-Leader")).isEqualTo(cluster.awaitLeader().id());

        HttpReply delete = viaFollower().delete("fwd/a");
        assertThat(delete.status()).isEqualTo(200);
        assertThat(delete.json().path("deleted").asBoolean()).isTrue();
        assertThat(delete.json().path("index").asLong()).isGreaterThan(index);
        assertThat(viaFollower().get("fwd/a", "consistent").status()).isEqualTo(404);
        assertThat(viaFollower().get("fwd/a").status()).isEqualTo(404);
    }

    @Test
    void when_aCasFailsThroughAFollower_then_the412AndTheCurrentModifyIndexComeBackUnchanged() {
        long index = viaFollower().put("fwd/cas", "v1").json().path("index").asLong();
        HttpReply mismatch = viaFollower().cas("fwd/cas", index + 1000, "v2");
        assertThat(mismatch.status()).isEqualTo(412);
        assertThat(mismatch.json().path("code").asText()).isEqualTo("cas_mismatch");
        assertThat(mismatch.json().path("modifyIndex").asLong()).isEqualTo(index);
        assertThat(mismatch.json().path("error").asText()).isNotBlank();
        assertThat(viaFollower().get("fwd/cas", "consistent").text()).isEqualTo("v1");
    }

    @Test
    void when_casIsUsed_then_zeroCreatesOnlyAndAMismatchReportsTheModifyIndex() {
        NodeClient c = cluster.awaitLeader().client();
        HttpReply created = c.cas("cas/k", 0, "first");
        assertThat(created.status()).isEqualTo(200);
        long first = created.json().path("index").asLong();

        HttpReply again = c.cas("cas/k", 0, "second");
        assertThat(again.status()).isEqualTo(412);
        assertThat(again.json().path("modifyIndex").asLong()).isEqualTo(first);

        HttpReply swapped = c.cas("cas/k", first, "second");
        assertThat(swapped.status()).isEqualTo(200);
        long second = swapped.json().path("index").asLong();
        assertThat(second).isGreaterThan(first);

        HttpReply stale = c.cas("cas/k", first, "third");
        assertThat(stale.status()).isEqualTo(412);
        assertThat(stale.json().path("modifyIndex").asLong()).isEqualTo(second);
        assertThat(c.get("cas/k", "consistent").text()).isEqualTo("second");

        HttpReply absent = c.cas("cas/absent", 7, "x");
        assertThat(absent.status()).isEqualTo(412);
        assertThat(absent.json().path("modifyIndex").asLong()).isZero();
        assertThat(c.get("cas/absent", "consistent").status()).isEqualTo(404);

        HttpReply wrongDelete = c.casDelete("cas/k", first);
        assertThat(wrongDelete.status()).isEqualTo(412);
        assertThat(wrongDelete.json().path("modifyIndex").asLong()).isEqualTo(second);
        HttpReply delete = c.casDelete("cas/k", second);
        assertThat(delete.status()).isEqualTo(200);
        assertThat(delete.json().path("deleted").asBoolean()).isTrue();
        HttpReply deleteAbsent = c.delete("cas/k");
        assertThat(deleteAbsent.status()).isEqualTo(200);
        assertThat(deleteAbsent.json().path("deleted").asBoolean()).isFalse();
    }

    @Test
    void when_readingInEachConsistencyMode_then_theSkiffHeadersDescribeTheRead() {
        NodeProcess currentLeader = cluster.awaitLeader();
        long index = currentLeader.client().put("modes/k", "v").json().path("index").asLong();
        for (NodeProcess node : cluster.nodes()) {
            // stale: the node's own state, once it has applied the write.
            await(node + " applied " + index).atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                HttpReply stale = node.client().get("modes/k", "stale");
                assertThat(stale.status()).isEqualTo(200);
                assertThat(stale.longHeader("X-Skiff-Modify-Index")).hasValue(index);
            });
            HttpReply stale = node.client().get("modes/k", "stale");
            assertThat(stale.longHeader("X-Skiff-Index").orElseThrow()).isGreaterThanOrEqualTo(index);
            assertThat(stale.header("X-Skiff-Leader")).isEqualTo(currentLeader.id());
            for (String mode : List.of("default", "consistent")) {
                HttpReply r = node.client().get("modes/k", mode);
                assertThat(r.status()).as("%s read on %s", mode, node).isEqualTo(200);
                assertThat(r.text()).isEqualTo("v");
                assertThat(r.longHeader("X-Skiff-Modify-Index")).hasValue(index);
                assertThat(r.longHeader("X-Skiff-Index").orElseThrow()).isGreaterThanOrEqualTo(index);
                assertThat(r.header("X-Skiff-Leader")).isEqualTo(currentLeader.id());
            }
        }
        // Without the parameter, the mode is "default".
        assertThat(viaFollower().get("modes/k").text()).isEqualTo("v");
    }

    @Test
    void when_listingAPrefix_then_itemsComeInKeyOrderAndPageWithAfter() {
        NodeClient c = cluster.awaitLeader().client();
        List<String> keys = List.of("list/a", "list/b", "list/c/deep", "list/d", "list/e");
        for (String k : keys.reversed()) {
            assertThat(c.put(k, "value of " + k).status()).isEqualTo(200);
        }
        assertThat(c.put("listx", "outside").status()).isEqualTo(200);

        List<String> seen = new ArrayList<>();
        String after = null;
        int pages = 0;
        boolean more = true;
        while (more) {
            HttpReply page = viaFollower().send("GET", "/v1/kv/?prefix=list/&limit=2"
                    + (after == null ? "" : "&after=" + NodeClient.encodePath(after)), null);
            assertThat(page.status()).as("%s", page).isEqualTo(200);
            JsonNode body = page.json();
            for (JsonNode item : body.path("items")) {
                String key = item.path("key").asText();
                seen.add(key);
                assertThat(new String(Base64.getDecoder().decode(item.path("value").asText()), StandardCharsets.UTF_8))
                        .isEqualTo("value of " + key);
                assertThat(item.path("modifyIndex").asLong()).isPositive();
                after = key;
            }
            assertThat(body.path("items").size()).isLessThanOrEqualTo(2);
            more = body.path("more").asBoolean();
            pages++;
        }
        assertThat(seen).containsExactlyElementsOf(keys);
        assertThat(pages).isEqualTo(3);
    }

    @Test
    void when_aKeyOrValueIsAtItsLimit_then_itIsAccepted() {
        NodeClient c = cluster.awaitLeader().client();
        String key = "é".repeat(512); // 1024 bytes of UTF-8
        assertThat(c.put(key, "x".repeat(MAX_VALUE_BYTES)).status()).isEqualTo(200);
        HttpReply r = c.get(key, "consistent");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).hasSize(MAX_VALUE_BYTES);
        assertThat(c.put("with spaces/and ünïcode?&=", "ok").status()).isEqualTo(200);
        assertThat(c.get("with spaces/and ünïcode?&=", "consistent").text()).isEqualTo("ok");
    }

    @Test
    void when_requestsAreBad_then_eachGetsItsDocumentedStatusAndNothingChanges() {
        NodeProcess currentLeader = cluster.awaitLeader();
        NodeClient c = currentLeader.client();
        assertThat(c.put("bad/existing", "original").status()).isEqualTo(200);
        JsonNode before = currentLeader.client().status();
        String listBefore = c.send("GET", "/v1/kv/?prefix=", null).text();

        List<String> problems = new ArrayList<>();
        for (NodeProcess node : List.of(currentLeader, follower)) {
            int port = node.apiPort();
            expectRaw(problems, port, "PUT", "/v1/kv/bad%zzkey", "v", 400);
            expectRaw(problems, port, "GET", "/v1/kv/bad%4", null, 400);
            expectRaw(problems, port, "PUT", "/v1/kv/bad%FFkey", "v", 400); // not UTF-8
            expectRaw(problems, port, "GET", "/v1/kv/?prefix=%zz", null, 400);
            expectRaw(problems, port, "PUT", "/v1/kv/bad/existing?cas=%q1", "v", 400);

            NodeClient n = node.client();
            expect(problems, n.send("PUT", "/v1/kv/", "v".getBytes(StandardCharsets.UTF_8)), 400, "PUT with an empty key");
            expect(problems, n.send("DELETE", "/v1/kv/", null), 400, "DELETE with an empty key");
            expect(problems, n.put("k".repeat(1025), "v"), 400, "PUT with a 1025-byte key");
            expect(problems, n.put("é".repeat(513), "v"), 400, "PUT with a 1026-byte UTF-8 key");
            expect(problems, n.get("k".repeat(1025)), 400, "GET with a 1025-byte key");
            expect(problems, n.put("bad/existing", "x".repeat(MAX_VALUE_BYTES + 1)), 413, "PUT of a value one byte over the limit");
            expect(problems, n.put("bad/new", "x".repeat(4 * MAX_VALUE_BYTES)), 413, "PUT of a value four times the limit");
            expect(problems, n.send("POST", "/v1/kv/bad/existing", "v".getBytes(StandardCharsets.UTF_8)), 405, "POST on a key");
            expect(problems, n.send("PATCH", "/v1/kv/bad/existing", "v".getBytes(StandardCharsets.UTF_8)), 405, "PATCH on a key");
            expect(problems, n.send("POST", "/v1/kv/", null), 405, "POST on the listing");
            expect(problems, n.send("DELETE", "/v1/status", null), 405, "DELETE /v1/status");
            expect(problems, n.send("GET", "/v1/cluster/leadership-transfer", null), 405, "GET on leadership-transfer");
            expect(problems, n.send("PUT", "/v1/cluster/members", null), 405, "PUT on members");
            expect(problems, n.send("GET", "/v1/cluster/members/n1", null), 405, "GET on a member");
            expect(problems, n.send("DELETE", "/v1/snapshot", null), 405, "DELETE /v1/snapshot");
            expect(problems, n.send("POST", "/healthz", null), 405, "POST /healthz");
            expect(problems, n.get("bad/existing", "bogus"), 400, "consistency=bogus");
            expect(problems, n.cas("bad/existing", -1, "v"), 400, "cas=-1");
            expect(problems, n.send("PUT", "/v1/kv/bad/existing?cas=abc", new byte[1]), 400, "cas=abc");
            expect(problems, n.send("DELETE", "/v1/kv/bad/existing?cas=-5", null), 400, "DELETE cas=-5");
            expect(problems, n.send("PUT", "/v1/kv/bad/existing?cas=1&cas=2", new byte[1]), 400, "cas given twice");
            expect(problems, n.send("PUT", "/v1/kv/bad/existing?ttl=5", new byte[1]), 400, "unknown parameter ttl");
            expect(problems, n.send("GET", "/v1/kv/bad/existing?consistency=stale&x=1", null), 400, "unknown parameter x");
            expect(problems, n.send("GET", "/v1/kv/?prefix=bad/&limit=0", null), 400, "limit=0");
            expect(problems, n.send("GET", "/v1/kv/?prefix=bad/&limit=many", null), 400, "limit=many");
            expect(problems, n.send("GET", "/v1/kv/?prefix=bad/&consistency=bogus", null), 400, "list consistency=bogus");
            expect(problems, n.send("POST", "/v1/cluster/members", "{not json".getBytes(StandardCharsets.UTF_8)), 400, "members POST with bad JSON");
            expect(problems, n.send("POST", "/v1/cluster/members", "{\"id\":\"n9\"}".getBytes(StandardCharsets.UTF_8)), 400, "members POST without raftAddress");
            expect(problems, n.send("POST", "/v1/cluster/leadership-transfer?to=nobody", null), 400, "transfer to an unknown id");
            expect(problems, n.send("GET", "/v1/status?verbose=1", null), 400, "unknown parameter on /v1/status");
            expect(problems, n.send("GET", "/v1/nothing-here", null), 404, "unknown endpoint");
        }
        assertThat(problems).as("requests that did not get their documented status").isEmpty();

        JsonNode after = cluster.awaitLeader().client().status();
        assertThat(after.path("last_log_index").asLong()).as("the leader's log after the bad requests")
                .isEqualTo(before.path("last_log_index").asLong());
        assertThat(after.path("term").asLong()).isEqualTo(before.path("term").asLong());
        assertThat(after.path("latest_configuration").size()).isEqualTo(3);
        assertThat(c.send("GET", "/v1/kv/?prefix=", null).text()).isEqualTo(listBefore);
        assertThat(c.get("bad/existing", "consistent").text()).isEqualTo("original");
    }

    @Test
    void when_garbageReachesTheRaftPort_then_itGets400AndTheClusterKeepsWorking() {
        NodeProcess currentLeader = cluster.awaitLeader();
        long term = currentLeader.client().status().path("term").asLong();
        for (NodeProcess node : cluster.nodes()) {
            byte[] noise = new byte[512];
            new java.util.Random(42).nextBytes(noise);
            RawHttp.Answer notHttp = RawHttp.send(node.raftPort(), noise, Duration.ofSeconds(5));
            assertThat(notHttp.status()).as("bytes that are not HTTP, to %s's raft port: %s", node, notHttp.response()).isEqualTo(400);

            RawHttp.Answer badBody = RawHttp.request(node.raftPort(), "POST", "/raft/v1/message",
                    "Content-Type: application/octet-stream\r\n", noise);
            assertThat(badBody.status()).as("a garbage message body to %s: %s", node, badBody.response()).isEqualTo(400);

            RawHttp.Answer badSnapshot = RawHttp.request(node.raftPort(), "POST", "/raft/v1/snapshot",
                    "Content-Type: application/octet-stream\r\n", noise);
            assertThat(badSnapshot.status()).as("a garbage snapshot to %s: %s", node, badSnapshot.response()).isEqualTo(400);

            RawHttp.Answer empty = RawHttp.request(node.raftPort(), "POST", "/raft/v1/message", null, new byte[0]);
            assertThat(empty.status()).as("an empty message to %s: %s", node, empty.response()).isEqualTo(400);
        }
        HttpReply put = viaFollower().put("after/garbage", "fine");
        assertThat(put.status()).isEqualTo(200);
        assertThat(cluster.awaitLeader()).isEqualTo(currentLeader);
        assertThat(currentLeader.client().status().path("term").asLong()).isEqualTo(term);
    }

    private static void expect(List<String> problems, HttpReply reply, int status, String what) {
        if (reply.status() != status) {
            problems.add(what + ": expected " + status + ", got " + reply);
        } else if (!reply.json().path("code").isTextual() || !reply.json().path("error").isTextual()) {
            problems.add(what + ": the error body is not {\"error\",\"code\"}: " + reply);
        }
    }

    private static void expectRaw(List<String> problems, int port, String method, String target, String body, int status) {
        RawHttp.Answer answer = RawHttp.request(port, method, target, null, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
        if (answer.status() != status) {
            problems.add(method + " " + target + ": expected " + status + ", got " + answer.response());
        }
    }
}
