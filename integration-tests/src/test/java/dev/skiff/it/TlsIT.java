package dev.skiff.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skiff.client.ClientTls;
import dev.skiff.it.cluster.ClusterExtension;
import dev.skiff.it.cluster.ClusterOptions;
import dev.skiff.it.cluster.HttpReply;
import dev.skiff.it.cluster.NodeProcess;
import dev.skiff.it.cluster.ProcessCluster;
import dev.skiff.raft.message.TimeoutNow;
import dev.skiff.tls.DevCertificates;
import dev.skiff.transport.MessageCodec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS on both ports with real processes and real certificates (issue #13, API.md §7): the raft
 * port refuses peers without a certificate from the cluster's CA at the handshake, and nothing
 * changes; the API serves HTTPS and requires client certificates when asked; writes are
 * forwarded over HTTPS and survive a leader kill; a certificate rotated on disk is served
 * without a restart; the Consul-compatible listener is HTTPS with the same rules.
 */
class TlsIT {

    @RegisterExtension
    static final ClusterExtension clusters = ClusterExtension.perClass();

    private static ProcessCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = clusters.start(3, ClusterOptions.defaults().withTls().withFlags("--api-require-client-cert")
                .withFlags(KvApiIT.STEADY).withFlags("--consul-addr", "127.0.0.1:0"));
    }

    @Test
    void when_aPeerHasNoClientCertificateOrOneFromAnotherCa_then_theRaftHandshakeFailsAndNothingChanges(@TempDir Path tmp)
            throws Exception {
        NodeProcess leader = cluster.awaitLeader();
        long term = leader.client().status().path("term").asLong();
        NodeProcess follower = cluster.nodes().stream().filter(n -> n.isServing() && n != leader).findFirst().orElseThrow();
        byte[] timeoutNow = MessageCodec.encode(new TimeoutNow(term, leader.id(), leader.raftAddress(), follower.id()));

        // Plain HTTP on the TLS port: no answer an HTTP client could use.
        assertThat(plainExchange(follower.raftPort(), timeoutNow)).doesNotStartWith("HTTP/1.1 2");
        // TLS trusting the cluster's CA, but no client certificate.
        SSLContext noCert = ClientTls.fromPem(cluster.tls().caFile(), null, null);
        assertThatThrownBy(() -> tlsExchange(noCert, follower.raftPort(), timeoutNow)).isInstanceOf(IOException.class);
        // A client certificate from another CA.
        DevCertificates other = DevCertificates.newCa("Some other CA");
        other.issue("impostor", List.of("127.0.0.1"), true, tmp.resolve("impostor.pem"), tmp.resolve("impostor-key.pem"));
        SSLContext impostor = ClientTls.fromPem(cluster.tls().caFile(), tmp.resolve("impostor.pem"), tmp.resolve("impostor-key.pem"));
        assertThatThrownBy(() -> tlsExchange(impostor, follower.raftPort(), timeoutNow)).isInstanceOf(IOException.class);

        await("term and leader stay put").during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    JsonNode s = leader.client().status();
                    return s.path("term").asLong() == term && "leader".equals(s.path("state").asText());
                });
        System.out.println("tls: raft port refused plain HTTP, a TLS client without a certificate and one from another CA;"
                + " term stayed " + term);
    }

    @Test
    void when_apiClientsHaveNoCertificate_then_theHttpsApiRefusesThem() throws Exception {
        NodeProcess node = cluster.awaitLeader();
        SSLContext noCert = ClientTls.fromPem(cluster.tls().caFile(), null, null);
        byte[] get = "GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> rawTls(noCert, node.apiPort(), get)).isInstanceOf(IOException.class);
        assertThat(node.client().status().path("id").asText()).isEqualTo(node.id());
    }

    @Test
    void when_tlsIsOn_then_theConsulListenerIsHttpsAndRequiresClientCertificatesToo() throws Exception {
        NodeProcess leader = cluster.awaitLeader();
        NodeProcess follower = cluster.nodes().stream().filter(n -> n.isServing() && n != leader).findFirst().orElseThrow();
        int port = ConsulClientsIT.consulPort(follower);
        byte[] put = "PUT /v1/kv/consul-over-tls HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok"
                .getBytes(StandardCharsets.US_ASCII);
        // Through a follower: it forwards the write to the leader over HTTPS too.
        assertThat(rawTls(cluster.tls().clientContext(), port, put)).isEqualTo("HTTP/1.1 200");
        assertThat(follower.client().get("consul-over-tls", "consistent").text()).isEqualTo("ok");

        SSLContext noCert = ClientTls.fromPem(cluster.tls().caFile(), null, null);
        assertThatThrownBy(() -> rawTls(noCert, port, put)).isInstanceOf(IOException.class);
        try (Socket plain = new Socket("127.0.0.1", port)) {
            plain.setSoTimeout(5000);
            plain.getOutputStream().write("GET /v1/kv/consul-over-tls HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] answer = plain.getInputStream().readNBytes(5);
            assertThat(new String(answer, StandardCharsets.ISO_8859_1)).as("plain HTTP gets no HTTP answer").isNotEqualTo("HTTP/");
        } catch (java.net.SocketException e) {
            // The listener reset the connection: plain HTTP refused, as it should be.
        }
    }

    @Test
    void when_theLeaderIsKilled_then_writesOverHttpsResumeOnANewLeader() {
        NodeProcess leader = cluster.awaitLeader();
        NodeProcess follower = cluster.nodes().stream().filter(n -> n.isServing() && n != leader).findFirst().orElseThrow();
        // Through a follower: forwarded to the leader over HTTPS, with the follower's certificate.
        for (int i = 0; i < 20; i++) {
            HttpReply put = follower.client().put("tls/before-" + i, "v" + i);
            assertThat(put.status()).as("%s", put).isEqualTo(200);
        }
        cluster.kill9(leader);
        long killedAt = System.nanoTime();
        NodeProcess next = cluster.awaitLeader();
        await("a write succeeds on the new leader").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> next.client().put("tls/after", "yes").status() == 200);
        System.out.printf("tls: leader %s killed, new leader %s took its first write %d ms later%n", leader.id(), next.id(),
                (System.nanoTime() - killedAt) / 1_000_000);
        for (NodeProcess n : cluster.nodes().stream().filter(NodeProcess::isServing).toList()) {
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(n.client().get("tls/before-19", "stale").status()).isEqualTo(200));
        }
        cluster.restart(leader);
        cluster.awaitCaughtUp(leader);
    }

    @Test
    void when_aCertificateIsRotatedOnDisk_then_theNodeServesItWithoutARestart() throws Exception {
        NodeProcess leader = cluster.awaitLeader();
        NodeProcess follower = cluster.nodes().stream().filter(n -> n.isServing() && n != leader).findFirst().orElseThrow();
        BigInteger before = servedCertificate(follower.raftPort()).getSerialNumber();
        cluster.tls().issue(follower.id());
        BigInteger rotated = dev.skiff.tls.PemFiles.certificates(cluster.tls().certFile(follower.id())).getFirst().getSerialNumber();
        await("the raft port serves the new certificate").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250))
                .until(() -> servedCertificate(follower.raftPort()).getSerialNumber().equals(rotated));
        await("the API port serves the new certificate").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250))
                .until(() -> servedCertificate(follower.apiPort()).getSerialNumber().equals(rotated));
        assertThat(rotated).isNotEqualTo(before);
        assertThat(follower.isRunning()).isTrue();
        // The cluster still works with the new certificate: writes through the rotated node.
        HttpReply put = follower.client().put("tls/rotated", "yes");
        assertThat(put.status()).as("%s", put).isEqualTo(200);
        System.out.println("tls: " + follower.id() + " rotated its certificate " + before.toString(16) + " -> "
                + rotated.toString(16) + " without a restart");
    }

    /** The certificate a port presents (to a client that trusts the CA and shows the client certificate). */
    private static X509Certificate servedCertificate(int port) throws Exception {
        try (SSLSocket s = (SSLSocket) cluster.tls().clientContext().getSocketFactory().createSocket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            s.startHandshake();
            return (X509Certificate) s.getSession().getPeerCertificates()[0];
        }
    }

    private static String plainExchange(int port, byte[] body) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /raft/v1/message HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            return new String(s.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static String tlsExchange(SSLContext context, int port, byte[] body) throws IOException {
        byte[] head = ("POST /raft/v1/message HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] request = new byte[head.length + body.length];
        System.arraycopy(head, 0, request, 0, head.length);
        System.arraycopy(body, 0, request, head.length, body.length);
        return rawTls(context, port, request);
    }

    /** Sends bytes over TLS and reads the answer's status line; an IOException when the handshake is refused. */
    private static String rawTls(SSLContext context, int port, byte[] request) throws IOException {
        try (SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            s.startHandshake();
            OutputStream out = s.getOutputStream();
            out.write(request);
            out.flush();
            InputStream in = s.getInputStream();
            byte[] status = in.readNBytes(12);
            if (status.length < 12) {
                throw new IOException("connection closed without an answer");
            }
            return new String(status, StandardCharsets.ISO_8859_1);
        }
    }
}
