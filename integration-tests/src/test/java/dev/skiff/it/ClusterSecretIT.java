package dev.skiff.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skiff.it.cluster.ClusterExtension;
import dev.skiff.it.cluster.ClusterOptions;
import dev.skiff.it.cluster.HttpReply;
import dev.skiff.it.cluster.NodeProcess;
import dev.skiff.it.cluster.ProcessCluster;
import dev.skiff.it.cluster.RawHttp;
import dev.skiff.raft.message.TimeoutNow;
import dev.skiff.transport.ClusterSecret;
import dev.skiff.transport.MessageCodec;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The raft port's cluster secret (API.md §4): without it a request gets 401 and changes
 * nothing, and a node configured with another secret cannot take part in the cluster.
 */
class ClusterSecretIT {

    private static final String SECRET = "correct horse battery staple";

    @RegisterExtension
    static final ClusterExtension clusters = ClusterExtension.perClass();

    private static ProcessCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = clusters.start(3, ClusterOptions.defaults().withSecret(SECRET).withFlags(KvApiIT.STEADY));
    }

    @Test
    void when_raftRequestsLackTheSecret_then_theyGet401AndChangeNothing() {
        NodeProcess leader = cluster.awaitLeader();
        long term = leader.client().status().path("term").asLong();
        String rightToken = ClusterSecret.of(SECRET).headerValue();
        String wrongToken = ClusterSecret.of("not the secret").headerValue();
        for (NodeProcess node : cluster.nodes().stream().filter(NodeProcess::isServing).toList()) {
            // Delivered, this would make the node start an election at once (leadership transfer).
            byte[] timeoutNow = MessageCodec.encode(new TimeoutNow(term, leader.id(), leader.raftAddress(), node.id()));
            assertRaw(node, "POST", "/raft/v1/message", null, timeoutNow, 401);
            assertRaw(node, "POST", "/raft/v1/message", ClusterSecret.HEADER + ": " + wrongToken + "\r\n", timeoutNow, 401);
            assertRaw(node, "POST", "/raft/v1/snapshot", null, new byte[] {0, 0, 0, 1, 7}, 401);
            assertRaw(node, "GET", "/raft/v1/no-such-path", null, null, 401);
            // With the secret, a body that does not decode is a 400; without, still a 401.
            assertRaw(node, "POST", "/raft/v1/message", ClusterSecret.HEADER + ": " + rightToken + "\r\n", new byte[] {9, 9, 9}, 400);
            assertRaw(node, "POST", "/raft/v1/message", null, new byte[] {9, 9, 9}, 401);
        }
        // Nothing moved: no election was started, the same leader keeps the same term.
        await("term and leader stay put").during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    JsonNode s = leader.client().status();
                    return s.path("term").asLong() == term && "leader".equals(s.path("state").asText());
                });
        assertThat(cluster.nodes().get(1).client().put("secret/ok", "yes").status()).isEqualTo(200);
    }

    @Test
    void when_aNodeHasAnotherSecret_then_itCannotTakePartInTheCluster() {
        NodeProcess leader = cluster.awaitLeader();
        NodeProcess stranger = cluster.join(ClusterOptions.defaults().withSecret("some other secret"));
        try {
            HttpReply put = leader.client().put("secret/written-while-stranger-waits", "v");
            assertThat(put.status()).isEqualTo(200);
            await(stranger + " answers /healthz").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> stranger.client().send("GET", "/healthz", null).status() == 200);
            await(stranger + " learns nothing").during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(250))
                    .untilAsserted(() -> {
                        JsonNode s = stranger.client().status();
                        assertThat(s.path("leader").isNull()).as("%s knows no leader: %s", stranger, s).isTrue();
                        assertThat(s.path("applied_index").asLong()).as("%s applied nothing: %s", stranger, s).isZero();
                        assertThat(stranger.client().get("secret/written-while-stranger-waits", "stale").status()).isEqualTo(404);
                    });
            // The cluster keeps working whatever its configuration now says about the stranger.
            assertThat(cluster.nodes().get(1).client().put("secret/still-writable", "yes").status()).isEqualTo(200);
            List<String> members = leader.client().send("GET", "/v1/cluster/members", null).json()
                    .path("members").findValuesAsText("id");
            System.out.println("cluster secret: a node with another secret asked to join; members now " + members
                    + "; it applied nothing and knows no leader");
        } finally {
            cluster.kill9(stranger);
            HttpReply members = cluster.awaitLeader().client().send("GET", "/v1/cluster/members", null);
            if (members.json().path("members").findValuesAsText("id").contains(stranger.id())) {
                HttpReply removed = cluster.awaitLeader().client().send("DELETE", "/v1/cluster/members/" + stranger.id(), null);
                assertThat(removed.status()).as("%s", removed).isEqualTo(200);
            }
        }
    }

    /**
     * ARCHITECTURE.md: "the leader adds it as a non-voter, promotes it when caught up". A node
     * with the wrong secret is admitted as a non-voter by {@code POST /v1/cluster/members}
     * (which {@code --join} calls), never catches up (the raft port refuses it), and so is never
     * promoted: the cluster keeps its three voters and its tolerance of one failure.
     */
    @Test
    void when_aNodeHasAnotherSecret_then_itIsNeverMadeAVoter() {
        NodeProcess leader = cluster.awaitLeader();
        NodeProcess stranger = cluster.join(ClusterOptions.defaults().withSecret("yet another secret"));
        try {
            await(stranger + " stays out of the voters").during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(8))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> {
                        for (JsonNode m : leader.client().send("GET", "/v1/cluster/members", null).json().path("members")) {
                            if (m.path("id").asText().equals(stranger.id()) && "voter".equals(m.path("suffrage").asText())) {
                                return false;
                            }
                        }
                        return true;
                    });
        } finally {
            cluster.kill9(stranger);
            cluster.awaitLeader().client().send("DELETE", "/v1/cluster/members/" + stranger.id(), null);
        }
    }

    private static void assertRaw(NodeProcess node, String method, String path, String headers, byte[] body, int status) {
        RawHttp.Answer answer = RawHttp.request(node.raftPort(), method, path,
                headers == null ? "Content-Type: application/octet-stream\r\n" : headers, body);
        assertThat(answer.status()).as("%s %s to %s's raft port: %s", method, path, node, answer.response()).isEqualTo(status);
    }
}
