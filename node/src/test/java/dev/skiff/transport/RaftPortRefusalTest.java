package dev.skiff.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.raft.Configuration;
import dev.skiff.raft.MessageHandler;
import dev.skiff.raft.Server;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.RaftMessage;
import dev.skiff.raft.message.TimeoutNow;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every way the raft port refuses a request (API.md §4): each gets its status and nothing
 * reaches the handler. A valid request with the secret is the positive control.
 */
class RaftPortRefusalTest {

    private static final ClusterSecret SECRET = ClusterSecret.of("correct horse battery staple");
    private static final int LIMIT = 4096;

    private final List<Object> delivered = new CopyOnWriteArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private HttpTransport transport;
    private String base;

    @BeforeEach
    void start() throws IOException {
        transport = new HttpTransport(HttpTransportConfig.defaults("127.0.0.1:0").withSecret(SECRET)
                .withMaxMessageBytes(LIMIT));
        transport.start(new MessageHandler() {
            @Override
            public void onMessage(RaftMessage message) {
                delivered.add(message);
            }

            @Override
            public void onSnapshot(InstallSnapshot header, InputStream data) throws IOException {
                data.transferTo(OutputStream.nullOutputStream());
                delivered.add(header);
            }
        });
        base = "http://" + transport.localAddress();
    }

    @AfterEach
    void stop() {
        transport.close();
        http.close();
    }

    @Test
    void aValidMessageWithTheSecretIsDelivered() throws Exception {
        var response = post(RaftRpcHandler.MESSAGE_PATH, SECRET.headerValue(), MessageCodec.encode(timeoutNow()));

        assertThat(response.statusCode()).isEqualTo(204);
        assertThat(delivered).containsExactly(timeoutNow());
    }

    @Test
    void aMissingSecretGets401() throws Exception {
        var response = post(RaftRpcHandler.MESSAGE_PATH, null, MessageCodec.encode(timeoutNow()));

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(delivered).isEmpty();
    }

    @Test
    void aWrongSecretGets401EvenForASnapshot() throws Exception {
        String wrong = ClusterSecret.of("another secret").headerValue();

        assertThat(post(RaftRpcHandler.MESSAGE_PATH, wrong, MessageCodec.encode(timeoutNow())).statusCode())
                .isEqualTo(401);
        assertThat(post(RaftRpcHandler.SNAPSHOT_PATH, wrong, snapshotBody(10, 10)).statusCode()).isEqualTo(401);
        assertThat(delivered).isEmpty();
    }

    @Test
    void garbageBodiesGet400() throws Exception {
        byte[] garbage = "GET / HTTP/1.0\r\n\r\nnot a raft message".getBytes(StandardCharsets.US_ASCII);

        var response = post(RaftRpcHandler.MESSAGE_PATH, SECRET.headerValue(), garbage);
        var empty = post(RaftRpcHandler.MESSAGE_PATH, SECRET.headerValue(), new byte[0]);
        var badSnapshot = post(RaftRpcHandler.SNAPSHOT_PATH, SECRET.headerValue(), garbage);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("malformed raft message");
        assertThat(empty.statusCode()).isEqualTo(400);
        assertThat(badSnapshot.statusCode()).isEqualTo(400);
        assertThat(delivered).isEmpty();
    }

    @Test
    void garbageBytesOnTheRaftPortAreNotHttpAndGet400() throws Exception {
        String reply;
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port())) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(new byte[] {0, 1, 2, (byte) 0xFF, '\r', '\n', '\r', '\n'});
            socket.getOutputStream().flush();
            reply = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
        }

        assertThat(reply).isEqualTo("HTTP/1.1 400");
        assertThat(delivered).isEmpty();
    }

    @Test
    void aWrongPathGets404() throws Exception {
        var response = post("/raft/v2/message", SECRET.headerValue(), MessageCodec.encode(timeoutNow()));

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(delivered).isEmpty();
    }

    @Test
    void aWrongMethodGets405() throws Exception {
        var response = http.send(HttpRequest.newBuilder(URI.create(base + RaftRpcHandler.MESSAGE_PATH))
                .header(ClusterSecret.HEADER, SECRET.headerValue()).GET().build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(405);
        assertThat(response.headers().firstValue("Allow")).hasValue("POST");
        assertThat(delivered).isEmpty();
    }

    @Test
    void anOversizedBodyGets413WithOrWithoutAContentLength() throws Exception {
        byte[] big = new byte[LIMIT * 4];
        var declared = post(RaftRpcHandler.MESSAGE_PATH, SECRET.headerValue(), big);
        var chunked = http.send(HttpRequest.newBuilder(URI.create(base + RaftRpcHandler.MESSAGE_PATH))
                .header(ClusterSecret.HEADER, SECRET.headerValue())
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(declared.statusCode()).isEqualTo(413);
        assertThat(chunked.statusCode()).isEqualTo(413);
        assertThat(delivered).isEmpty();
    }

    @Test
    void aSnapshotShorterThanItsHeaderSaysFailsWith500AndIsNotAccepted() throws Exception {
        var response = post(RaftRpcHandler.SNAPSHOT_PATH, SECRET.headerValue(), snapshotBody(1000, 10));

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(response.body()).contains("snapshot stream ended after 10 of 1000 bytes");
        assertThat(delivered).isEmpty();
    }

    @Test
    void aSnapshotLongerThanItsHeaderSaysFailsWith500AndIsNotAccepted() throws Exception {
        var response = post(RaftRpcHandler.SNAPSHOT_PATH, SECRET.headerValue(), snapshotBody(10, 11));

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(response.body()).contains("longer than the 10 bytes its header says");
        assertThat(delivered).isEmpty();
    }

    @Test
    void aTransportWithTheWrongSecretReachesNothing() throws Exception {
        var intruder = new HttpTransport(HttpTransportConfig.defaults("127.0.0.1:0")
                .withSecret(ClusterSecret.of("guess")));
        try {
            intruder.start(new RecordingHandler());
            intruder.send(transport.localAddress(), timeoutNow());

            await().atMost(Duration.ofSeconds(10)).until(() -> intruder.failedMessages() == 1);
            assertThat(transport.refusedRequests()).isEqualTo(1);
            assertThat(delivered).isEmpty();
        } finally {
            intruder.close();
        }
    }

    private int port() {
        return HostPort.parse(transport.localAddress(), "test").port();
    }

    private HttpResponse<String> post(String path, String secretHeader, byte[] body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (secretHeader != null) {
            request.header(ClusterSecret.HEADER, secretHeader);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static TimeoutNow timeoutNow() {
        return new TimeoutNow(4, "n1", "127.0.0.1:1", "n2");
    }

    /** A snapshot request whose header claims {@code claimed} bytes and which carries {@code actual}. */
    private static byte[] snapshotBody(int claimed, int actual) throws IOException {
        var header = new InstallSnapshot(4, "n1", "127.0.0.1:1", "n2", new SnapshotMeta("s", 9, 4,
                Configuration.of(Server.voter("n1", "127.0.0.1:1")), 9, claimed, ""));
        byte[] encoded = MessageCodec.encode(header);
        var bytes = new ByteArrayOutputStream();
        var out = new DataOutputStream(bytes);
        out.writeInt(encoded.length);
        out.write(encoded);
        out.write(new byte[actual]);
        return bytes.toByteArray();
    }

    /** Records what arrives; for transports whose delivery is not the point. */
    static final class RecordingHandler implements MessageHandler {
        final List<RaftMessage> messages = new CopyOnWriteArrayList<>();

        @Override
        public void onMessage(RaftMessage message) {
            messages.add(message);
        }

        @Override
        public void onSnapshot(InstallSnapshot header, InputStream data) throws IOException {
            data.transferTo(OutputStream.nullOutputStream());
        }
    }
}
