package dev.skiff.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skiff.it.cluster.ClusterExtension;
import dev.skiff.it.cluster.ClusterOptions;
import dev.skiff.it.cluster.HttpReply;
import dev.skiff.it.cluster.NodeProcess;
import dev.skiff.it.cluster.ProcessCluster;
import dev.skiff.it.cluster.RaftWireClient;
import dev.skiff.it.cluster.RawHttp;
import dev.skiff.raft.message.TimeoutNow;
import dev.skiff.transport.ClusterSecret;
import dev.skiff.transport.MessageCodec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The raft port's cluster secret (API.md §4, §7): without the handshake's proof a request gets
 * 401 and changes nothing, a captured request does not work twice, a new member's address is
 * sent nothing secret before it proves itself, and a node configured with another secret
 * cannot take part in the cluster.
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
    void when_raftRequestsLackTheSecretsProof_then_theyGet401AndChangeNothing() throws Exception {
        NodeProcess leader = cluster.awaitLeader();
        long term = leader.client().status().path("term").asLong();
        for (NodeProcess node : cluster.nodes().stream().filter(NodeProcess::isServing).toList()) {
            // Delivered, this would make the node start an election at once (leadership transfer).
            byte[] timeoutNow = MessageCodec.encode(new TimeoutNow(term, leader.id(), leader.raftAddress(), node.id()));
            assertRaw(node, "POST", "/raft/v1/message", null, timeoutNow, 401);
            assertRaw(node, "POST", "/raft/v1/message", "X-Skiff-Auth: 1 AAAA\r\n", timeoutNow, 401);
            assertRaw(node, "POST", "/raft/v1/snapshot", null, new byte[] {0, 0, 0, 1, 7}, 401);
            assertRaw(node, "GET", "/raft/v1/no-such-path", null, null, 401);
            try (var wrong = new RaftWireClient(node.raftPort())) {
                assertThat(wrong.handshake(ClusterSecret.of("not the secret")).status()).isEqualTo(401);
            }
            // With the secret's handshake, a body that does not decode is a 400.
            try (var right = new RaftWireClient(node.raftPort())) {
                assertThat(right.handshake(ClusterSecret.of(SECRET)).status()).isEqualTo(204);
                assertThat(right.send(right.authenticated("/raft/v1/message", new byte[] {9, 9, 9})).status()).isEqualTo(400);
            }
        }
        assertTermAndLeaderStay(leader, term);
        assertThat(cluster.nodes().get(1).client().put("secret/ok", "yes").status()).isEqualTo(200);
    }

    /** Issue #13: a captured raft request must not work a second time. */
    @Test
    void when_aCapturedRaftRequestIsReplayed_then_itIsRefused() throws Exception {
        NodeProcess leader = cluster.awaitLeader();
        long term = leader.client().status().path("term").asLong();
        NodeProcess follower = cluster.nodes().stream().filter(n -> n.isServing() && n != leader).findFirst().orElseThrow();
        // A TimeoutNow of a past term: accepted on the wire (204), ignored by Raft.
        byte[] stale = MessageCodec.encode(new TimeoutNow(0, leader.id(), leader.raftAddress(), follower.id()));
        byte[] captured;
        try (var sender = new RaftWireClient(follower.raftPort())) {
            sender.handshake(ClusterSecret.of(SECRET));
            captured = sender.authenticated("/raft/v1/message", stale);
            assertThat(sender.send(captured).status()).as("the original").isEqualTo(204);
            assertThat(sender.send(captured).status()).as("replayed on its connection").isEqualTo(401);
        }
        try (var replayer = new RaftWireClient(follower.raftPort())) {
            assertThat(replayer.send(captured).status()).as("replayed on a new connection").isEqualTo(401);
        }
        try (var replayer = new RaftWireClient(follower.raftPort())) {
            replayer.handshake(ClusterSecret.of(SECRET));
            // Even after a handshake of its own (which a thief could not do), the old MAC is for another session.
            assertThat(replayer.send(captured).status()).as("replayed in another session").isEqualTo(401);
        }
        System.out.println("cluster secret: captured raft request replayed 3 ways, refused with 401 each time");
        assertTermAndLeaderStay(leader, term);
    }

    /**
     * Issue #13 item 1: adding a member at an address that does not hold the secret makes the
     * leader send it nothing secret. A listener there answers every request with a forged
     * challenge, to lure a proof out of the leader; it records everything it receives.
     */
    @Test
    void when_aMemberIsAddedAtAnAddressWithoutTheSecret_then_itIsSentNothingSecret() throws Exception {
        NodeProcess leader = cluster.awaitLeader();
        try (var listener = new RecordingListener()) {
            HttpReply added = leader.client().send("POST", "/v1/cluster/members", ("{\"id\":\"evil\",\"raftAddress\":\"127.0.0.1:"
                    + listener.port() + "\",\"apiAddress\":\"127.0.0.1:" + listener.port() + "\",\"voter\":false}").getBytes(StandardCharsets.UTF_8));
            assertThat(added.status()).as("%s", added).isEqualTo(200);
            await("the leader dials the new member").atMost(Duration.ofSeconds(15)).until(() -> listener.requests().size() >= 3);
            List<String> requests = listener.requests();
            for (String request : requests) {
                assertThat(request).as("what the new member received").startsWith("POST /raft/v1/auth HTTP/1.1")
                        .containsPattern("(?i)X-Skiff-Auth: hello [A-Za-z0-9_-]{43}\r\n")
                        .doesNotContain("prove").doesNotContain(SECRET).doesNotContainIgnoringCase("X-Skiff-Cluster-Secret")
                        .endsWith("Content-Length: 0\r\n\r\n");
            }
            System.out.println("cluster secret: a member added at a listener without the secret received " + requests.size()
                    + " requests, every one a hello with a fresh nonce and no proof, MAC or message");
        } finally {
            cluster.awaitLeader().client().send("DELETE", "/v1/cluster/members/evil", null);
        }
    }

    private static void assertTermAndLeaderStay(NodeProcess leader, long term) {
        await("term and leader stay put").during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    JsonNode s = leader.client().status();
                    return s.path("term").asLong() == term && "leader".equals(s.path("state").asText());
                });
    }

    /** A TCP listener that records each HTTP request head it receives and answers with a forged challenge. */
    private static final class RecordingListener implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final List<String> requests = new CopyOnWriteArrayList<>();
        private final Thread acceptor = Thread.ofVirtual().start(this::accept);

        RecordingListener() throws IOException {
        }

        int port() {
            return server.getLocalPort();
        }

        List<String> requests() {
            return List.copyOf(requests);
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread.ofVirtual().start(() -> serve(s));
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket s) {
            try (s) {
                var in = new java.io.BufferedInputStream(s.getInputStream());
                while (true) {
                    var head = new StringBuilder();
                    while (!head.toString().endsWith("\r\n\r\n")) {
                        int c = in.read();
                        if (c < 0) {
                            return;
                        }
                        head.append((char) c);
                    }
                    var m = java.util.regex.Pattern.compile("(?i)content-length: (\\d+)").matcher(head);
                    byte[] body = in.readNBytes(m.find() ? Integer.parseInt(m.group(1)) : 0);
                    requests.add(head + new String(body, StandardCharsets.ISO_8859_1));
                    String forged = "challenge " + ClusterSecret.encode(ClusterSecret.newNonce()) + " "
                            + ClusterSecret.encode(ClusterSecret.newNonce());
                    s.getOutputStream().write(("HTTP/1.1 200 OK\r\nX-Skiff-Auth: " + forged
                            + "\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                }
            } catch (IOException e) {
                // The dialler hung up: what it sent is recorded.
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            acceptor.interrupt();
        }
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
