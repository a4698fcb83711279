package dev.skiff.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.FreePorts;
import io.undertow.Undertow;
import io.undertow.server.handlers.BlockingHandler;
import io.undertow.util.Headers;
import io.undertow.util.SameThreadExecutor;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The raft client's HTTP/1.1 connection against a real Undertow server. */
class PeerConnectionTest {

    private Undertow server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
    }

    private HostPort start(io.undertow.server.HttpHandler handler) {
        server = Undertow.builder().addHttpListener(0, "127.0.0.1").setIoThreads(1).setHandler(handler).build();
        server.start();
        return new HostPort("127.0.0.1", ((InetSocketAddress) server.getListenerInfo().getFirst().getAddress()).getPort());
    }

    @Test
    void everyKindOfAnswerIsReadWholeAndTheConnectionIsKeptUnlessTheServerClosesIt() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        List<Integer> clientPorts = new CopyOnWriteArrayList<>();
        List<String> bodies = new CopyOnWriteArrayList<>();
        HostPort target = start(new BlockingHandler(exchange -> {
            bodies.add(new String(exchange.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            clientPorts.add(exchange.getSourceAddress().getPort());
            switch (requests.incrementAndGet()) {
                case 1 -> exchange.setStatusCode(204);
                case 2 -> {
                    // A refusal with a text body of known length (what RaftRpcHandler sends).
                    exchange.setStatusCode(401);
                    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
                    exchange.getResponseSender().send("missing or wrong secret\n");
                }
                case 3 -> {
                    // A streamed body: chunked.
                    exchange.setStatusCode(500);
                    OutputStream out = exchange.getOutputStream();
                    out.write("first part ".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    out.write("second part".getBytes(StandardCharsets.UTF_8));
                    out.close();
                }
                case 4 -> {
                    exchange.setStatusCode(204);
                    exchange.setPersistent(false);
                }
                default -> exchange.setStatusCode(204);
            }
            exchange.endExchange();
        }));
        try (PeerConnection c = new PeerConnection(target, "/raft/v1/messages", Optional.empty(), Optional.empty(), 1000, 5000)) {
            assertThat(c.post("a".getBytes(StandardCharsets.UTF_8))).isEqualTo(204);
            assertThat(c.post("bb".getBytes(StandardCharsets.UTF_8))).isEqualTo(401);
            assertThat(c.post("ccc".getBytes(StandardCharsets.UTF_8))).isEqualTo(500);
            assertThat(c.post(new byte[0])).isEqualTo(204);
            assertThat(c.post("e".getBytes(StandardCharsets.UTF_8))).isEqualTo(204);
        }
        assertThat(bodies).containsExactly("a", "bb", "ccc", "", "e");
        assertThat(clientPorts.subList(0, 4)).as("one kept-alive connection").containsOnly(clientPorts.get(0));
        assertThat(clientPorts.get(4)).as("a new connection after the server closed its").isNotEqualTo(clientPorts.get(0));
    }

    @Test
    void aListenerWithoutTheSecretGetsOnlyARandomNonceAndTheRequestFails() throws Exception {
        ClusterSecret secret = ClusterSecret.of("s3cret-for-the-test");
        List<String> seen = new CopyOnWriteArrayList<>();
        HostPort target = start(new BlockingHandler(exchange -> {
            seen.add(exchange.getRequestPath() + " " + exchange.getRequestHeaders().getFirst(ClusterSecret.HEADER)
                    + " body=" + exchange.getInputStream().readAllBytes().length);
            // Pretends to be a raft port: answers with a challenge it cannot back with a proof.
            exchange.getResponseHeaders().put(new io.undertow.util.HttpString(ClusterSecret.HEADER), "challenge "
                    + ClusterSecret.encode(ClusterSecret.newNonce()) + " " + ClusterSecret.encode(new byte[32]));
            exchange.setStatusCode(200);
        }));
        try (PeerConnection c = new PeerConnection(target, "/raft/v1/messages", Optional.of(secret), Optional.empty(),
                1000, 5000)) {
            assertThatThrownBy(() -> c.post(new byte[] {1})).isInstanceOf(PeerNotAuthenticException.class)
                    .hasMessageContaining("does not prove the cluster secret");
        }
        assertThat(seen).hasSize(1);
        assertThat(seen.getFirst()).startsWith("/raft/v1/auth hello ").endsWith(" body=0");
    }

    @Test
    void aPeerThatIsDownOrSilentFailsWithTheExceptionsThatMeanSo() throws Exception {
        int port = FreePorts.next();
        try (PeerConnection c = new PeerConnection(new HostPort("127.0.0.1", port), "/raft/v1/messages", Optional.empty(), Optional.empty(),
                1000, 5000)) {
            assertThatThrownBy(() -> c.post(new byte[] {1})).isInstanceOf(ConnectException.class);
        }
        HostPort silent = start(exchange -> exchange.dispatch(SameThreadExecutor.INSTANCE, () -> { }));
        try (PeerConnection c = new PeerConnection(silent, "/raft/v1/messages", Optional.empty(), Optional.empty(), 1000, 200)) {
            assertThatThrownBy(() -> c.post(new byte[] {1})).isInstanceOf(SocketTimeoutException.class);
        }
    }
}
