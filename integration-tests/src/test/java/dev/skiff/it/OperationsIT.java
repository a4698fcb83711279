package dev.skiff.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skiff.it.cluster.ClusterExtension;
import dev.skiff.it.cluster.ClusterOptions;
import dev.skiff.it.cluster.HttpReply;
import dev.skiff.it.cluster.NodeProcess;
import dev.skiff.it.cluster.ProcessCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The cluster and operations endpoints of API.md §3 against one 3-node cluster shared by the
 * class: status, members (GET, POST, DELETE), leadership transfer, snapshot take / download /
 * restore, health, readiness and metrics.
 */
class OperationsIT {

    @RegisterExtension
    static final ClusterExtension clusters = ClusterExtension.perClass();

    private static ProcessCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = clusters.start(3, ClusterOptions.defaults().withFlags(KvApiIT.STEADY));
    }

    private static List<NodeProcess> voters() {
        return cluster.nodes().stream().filter(n -> List.of("n1", "n2", "n3").contains(n.id())).toList();
    }

    private static NodeProcess aFollower() {
        NodeProcess leader = cluster.awaitLeader();
        return voters().stream().filter(n -> n != leader).findFirst().orElseThrow();
    }

    @Test
    void when_statusIsAsked_then_everyNodeReportsTheStatsFields() {
        NodeProcess leader = cluster.awaitLeader();
        for (NodeProcess node : voters()) {
            JsonNode s = node.client().status();
            assertThat(s.path("id").asText()).isEqualTo(node.id());
            assertThat(s.path("state").asText()).isEqualTo(node == leader ? "leader" : "follower");
            assertThat(s.path("term").asLong()).isPositive();
            assertThat(s.path("leader").path("id").asText()).isEqualTo(leader.id());
            assertThat(s.path("leader").path("apiAddress").asText()).isEqualTo("127.0.0.1:" + leader.apiPort());
            for (String field : List.of("commit_index", "applied_index", "last_log_index", "last_log_term",
                    "last_snapshot_index", "last_snapshot_term", "num_peers", "last_contact")) {
                assertThat(s.has(field)).as("%s has %s: %s", node, field, s).isTrue();
            }
            assertThat(s.path("num_peers").asInt()).isEqualTo(2);
            assertThat(s.path("latest_configuration")).hasSize(3);
            for (JsonNode m : s.path("latest_configuration")) {
                NodeProcess member = cluster.node(m.path("id").asText());
                assertThat(m.path("raftAddress").asText()).isEqualTo(member.raftAddress());
                assertThat(m.path("apiAddress").asText()).isEqualTo("127.0.0.1:" + member.apiPort());
                assertThat(m.path("suffrage").asText()).isEqualTo("voter");
            }
        }
    }

    @Test
    void when_theLeadersStatusIsAsked_then_itReportsEachFollowersMatchIndexLagAndLastContact() {
        NodeProcess leader = cluster.awaitLeader();
        long index = leader.client().put("status/lag", "x").json().path("index").asLong();
        await("both followers have index " + index).atMost(Duration.ofSeconds(10)).until(() -> {
            JsonNode followers = leader.client().status().path("followers");
            int caughtUp = 0;
            for (JsonNode f : followers) {
                caughtUp += f.path("matchIndex").asLong() >= index ? 1 : 0;
            }
            return caughtUp == 2;
        });
        JsonNode s = leader.client().status();
        assertThat(s.path("followers")).hasSize(2);
        for (JsonNode f : s.path("followers")) {
            assertThat(f.path("id").asText()).isIn("n1", "n2", "n3").isNotEqualTo(leader.id());
            assertThat(f.path("suffrage").asText()).isEqualTo("voter");
            assertThat(f.path("nextIndex").asLong()).isGreaterThan(f.path("matchIndex").asLong());
            assertThat(f.path("lag").asLong()).isEqualTo(Math.max(0, s.path("commit_index").asLong() - f.path("matchIndex").asLong()));
            assertThat(f.path("lastContactMillis").asLong()).isBetween(0L, 10_000L);
        }
        assertThat(aFollower().client().status().path("followers")).as("a follower knows no replication state").isEmpty();
    }

    @Test
    void when_healthReadinessAndMetricsAreAsked_then_aServingNodeAnswersThem() {
        NodeProcess leader = cluster.awaitLeader();
        for (NodeProcess node : voters()) {
            HttpReply health = node.client().send("GET", "/healthz", null);
            assertThat(health.status()).isEqualTo(200);
            assertThat(health.json().path("status").asText()).isEqualTo("ok");
            await(node + " ready").atMost(Duration.ofSeconds(10))
                    .until(() -> node.client().send("GET", "/readyz", null).status() == 200);
            HttpReply metrics = node.client().send("GET", "/metrics", null);
            assertThat(metrics.status()).isEqualTo(200);
            assertThat(metrics.header("Content-Type")).startsWith("text/plain");
            assertThat(metrics.text()).contains("skiff_raft_term", "skiff_raft_commit_index", "skiff_raft_applied_index",
                    "skiff_http_requests");
            assertThat(metrics.text()).contains("skiff_raft_is_leader " + (node == leader ? "1.0" : "0.0"));
        }
    }

    @Test
    void when_aMemberIsAddedAndRemovedThroughTheApi_then_theConfigurationFollows() {
        assertThat(aFollower().client().put("members/before", "x").status()).isEqualTo(200);
        NodeProcess extra = cluster.add(ClusterOptions.defaults(), List.of()); // neither --bootstrap nor --join: waits
        try {
            await(extra + " answers /healthz").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> extra.client().send("GET", "/healthz", null).status() == 200);
            HttpReply notReady = extra.client().send("GET", "/readyz", null);
            assertThat(notReady.status()).as("%s", notReady).isEqualTo(503);
            assertThat(notReady.header("Retry-After")).isNotNull();

            String body = "{\"id\":\"" + extra.id() + "\",\"raftAddress\":\"" + extra.raftAddress()
                    + "\",\"apiAddress\":\"127.0.0.1:" + extra.apiPort() + "\",\"voter\":false}";
            HttpReply added = aFollower().client().send("POST", "/v1/cluster/members", body.getBytes(StandardCharsets.UTF_8));
            assertThat(added.status()).as("%s", added).isEqualTo(200);
            assertThat(added.json().path("changed").asBoolean()).isTrue();
            HttpReply again = aFollower().client().send("POST", "/v1/cluster/members", body.getBytes(StandardCharsets.UTF_8));
            assertThat(again.status()).isEqualTo(200);
            assertThat(again.json().path("changed").asBoolean()).isFalse();

            JsonNode members = aFollower().client().send("GET", "/v1/cluster/members", null).json().path("members");
            assertThat(members.findValuesAsText("id")).contains(extra.id());
            for (JsonNode m : members) {
                assertThat(m.path("suffrage").asText()).isEqualTo(m.path("id").asText().equals(extra.id()) ? "nonvoter" : "voter");
            }
            await(extra + " caught up").atMost(Duration.ofSeconds(20)).ignoreExceptions()
                    .until(() -> extra.client().get("members/before", "stale").text().equals("x"));
            await(extra + " ready").atMost(Duration.ofSeconds(10))
                    .until(() -> extra.client().send("GET", "/readyz", null).status() == 200);

            HttpReply removed = aFollower().client().send("DELETE", "/v1/cluster/members/" + extra.id(), null);
            assertThat(removed.status()).as("%s", removed).isEqualTo(200);
            assertThat(removed.json().path("index").asLong()).isPositive();
            assertThat(cluster.awaitLeader().client().send("GET", "/v1/cluster/members", null).json().path("members")
                    .findValuesAsText("id")).containsExactlyInAnyOrder("n1", "n2", "n3");
            assertThat(aFollower().client().send("DELETE", "/v1/cluster/members/" + extra.id(), null).status()).isEqualTo(404);
        } finally {
            cluster.kill9(extra);
        }
    }

    @Test
    void when_leadershipIsTransferred_then_theNamedNodeOrAnotherOneLeads() {
        NodeProcess leader = cluster.awaitLeader();
        NodeProcess target = voters().stream().filter(n -> n != leader).toList().getLast();
        NodeProcess via = voters().stream().filter(n -> n != leader && n != target).findFirst().orElseThrow();
        HttpReply moved = via.client().send("POST", "/v1/cluster/leadership-transfer?to=" + target.id(), null);
        assertThat(moved.status()).as("%s", moved).isEqualTo(200);
        assertThat(moved.json().path("previousLeader").asText()).isEqualTo(leader.id());
        assertThat(cluster.awaitLeader()).isEqualTo(target);

        HttpReply away = target.client().send("POST", "/v1/cluster/leadership-transfer", null);
        assertThat(away.status()).as("%s", away).isEqualTo(200);
        await("leadership left " + target).atMost(Duration.ofSeconds(10))
                .until(() -> cluster.agreedLeader().filter(l -> l != target).isPresent());
        assertThat(via.client().put("transfer/after", "ok").status()).isEqualTo(200);
    }

    @Test
    void when_aSnapshotIsTakenDownloadedAndRestored_then_theClusterReturnsToIt() {
        NodeProcess leader = cluster.awaitLeader();
        assertThat(leader.client().put("snap/a", "1").status()).isEqualTo(200);
        assertThat(leader.client().put("snap/b", "2").status()).isEqualTo(200);

        HttpReply taken = leader.client().send("POST", "/v1/snapshot", null);
        assertThat(taken.status()).as("%s", taken).isEqualTo(200);
        long index = taken.json().path("index").asLong();
        assertThat(index).isPositive();
        assertThat(taken.json().path("term").asLong()).isPositive();
        assertThat(taken.json().path("location").asText()).isNotBlank();

        HttpReply download = leader.client().send("GET", "/v1/snapshot", null);
        assertThat(download.status()).isEqualTo(200);
        assertThat(download.header("Content-Type")).isEqualTo("application/octet-stream");
        assertThat(download.longHeader("X-Skiff-Snapshot-Index").orElseThrow()).isGreaterThanOrEqualTo(index);
        byte[] backup = download.body();
        assertThat(backup).isNotEmpty();

        assertThat(leader.client().put("snap/a", "changed").status()).isEqualTo(200);
        assertThat(leader.client().delete("snap/b").status()).isEqualTo(200);
        assertThat(leader.client().put("snap/c", "new").status()).isEqualTo(200);

        HttpReply restored = aFollower().client().send("PUT", "/v1/snapshot", backup);
        assertThat(restored.status()).as("%s", restored).isEqualTo(200);
        assertThat(restored.json().path("index").asLong()).isGreaterThan(index);
        for (NodeProcess node : voters()) {
            await(node + " restored").atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(node.client().get("snap/a", "stale").text()).isEqualTo("1");
                assertThat(node.client().get("snap/b", "stale").text()).isEqualTo("2");
                assertThat(node.client().get("snap/c", "stale").status()).isEqualTo(404);
            });
        }
        assertThat(aFollower().client().get("snap/a", "consistent").text()).isEqualTo("1");
        assertThat(aFollower().client().put("snap/after-restore", "writable").status()).isEqualTo(200);
    }
}
