package dev.skiff.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.skiff.raft.Configuration;
import dev.skiff.raft.MessageHandler;
import dev.skiff.raft.Server;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.RaftMessage;
import dev.skiff.raft.message.TimeoutNow;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Every way the raft port refuses a request (API.md §4): each gets its status and nothing
 * reaches the handler. A valid request with the secret is the positive control.
 */
class RaftPortRefusalTest {

    private static final ClusterSecret SECRET = ClusterSecret.of("correct horse battery staple");
    private static final int LIMIT = 4096;

    private final List<Object> delivered = new CopyOnWriteArrayList<>();
    private HttpTransport transport;

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
    }

    @AfterEach
    void stop() {
        transport.close();
    }

    @Test
    void aValidMessageWithTheSecretIsDelivered() throws Exception {
        var response = post(RaftRpcHandler.MESSAGE_PATH, SECRET, MessageCodec.encode(timeoutNow()));

        assertThat(response.status()).isEqualTo(204);
        assertThat(delivered).containsExactly(timeoutNow());
    }

    @Test
    void aMissingSecretGets401() throws Exception {
        var response = post(RaftRpcHandler.MESSAGE_PATH, null, MessageCodec.encode(timeoutNow()));

        assertThat(response.status()).isEqualTo(401);
        assertThat(delivered).isEmpty();
    }

    @Test
    void aWrongSecretGets401EvenForASnapshot() throws Exception {
        ClusterSecret wrong = ClusterSecret.of("another secret");

        assertThat(post(RaftRpcHandler.MESSAGE_PATH, wrong, MessageCodec.encode(timeoutNow())).status())
                .isEqualTo(401);
        assertThat(post(RaftRpcHandler.SNAPSHOT_PATH, wrong, snapshotBody(10, 10)).status()).isEqualTo(401);
        assertThat(delivered).isEmpty();
    }

    @Test
    void garbageBodiesGet400() throws Exception {
        byte[] garbage = "GET / HTTP/1.0\r\n\r\nnot a raft message".getBytes(StandardCharsets.US_ASCII);

        var response = post(RaftRpcHandler.MESSAGE_PATH, SECRET, garbage);
        var empty = post(RaftRpcHandler.MESSAGE_PATH, SECRET, new byte[0]);
        var badSnapshot = post(RaftRpcHandler.SNAPSHOT_PATH, SECRET, garbage);

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.body()).contains("malformed raft message");
        assertThat(empty.status()).isEqualTo(400);
        assertThat(badSnapshot.status()).isEqualTo(400);
        assertThat(delivered).isEmpty();
    }

    @Test
    void aMessageOfAnotherWireVersionGets400AndOneWarningAMinute() throws Exception {
        byte[] older = MessageCodec.encode(timeoutNow());
        older[0] = (byte) (MessageCodec.VERSION - 1);
        byte[] garbage = "not a raft message".getBytes(StandardCharsets.US_ASCII);
        Logger logger = (Logger) LoggerFactory.getLogger(RaftRpcHandler.class);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        logger.addAppender(events);
        try {
            var garbled = post(RaftRpcHandler.MESSAGE_PATH, SECRET, garbage);
            assertThat(warnings(events)).as("garbage is no operator's business").isEmpty();

            var first = post(RaftRpcHandler.MESSAGE_PATH, SECRET, older);
            var second = post(RaftRpcHandler.MESSAGE_PATH, SECRET, older);

            assertThat(garbled.status()).isEqualTo(400);
            assertThat(first.status()).isEqualTo(400);
            assertThat(second.status()).isEqualTo(400);
            assertThat(first.body()).contains("unsupported wire version " + (MessageCodec.VERSION - 1)
                    + " (this node speaks " + MessageCodec.VERSION + "): the sender runs another release");
            assertThat(warnings(events)).singleElement().satisfies(e -> {
                assertThat(e.getFormattedMessage()).contains("unsupported wire version " + (MessageCodec.VERSION - 1),
                        "Nodes of different wire versions do not replicate to each other");
            });
            assertThat(delivered).isEmpty();
        } finally {
            logger.detachAppender(events);
        }
    }

    private static List<ILoggingEvent> warnings(ListAppender<ILoggingEvent> events) {
        return events.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).toList();
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
        var response = post("/raft/v2/message", SECRET, MessageCodec.encode(timeoutNow()));

        assertThat(response.status()).isEqualTo(404);
        assertThat(delivered).isEmpty();
    }

    @Test
    void aWrongMethodGets405() throws Exception {
        RaftWireClient.Reply response;
        try (var client = new RaftWireClient(HostPort.parse(transport.localAddress(), "test"))) {
            client.handshake(SECRET);
            byte[] get = client.authenticated(RaftRpcHandler.MESSAGE_PATH, new byte[0]);
            response = client.send(new String(get, StandardCharsets.US_ASCII).replaceFirst("POST", "GET")
                    .getBytes(StandardCharsets.US_ASCII));
        }

        assertThat(response.status()).isEqualTo(405);
        assertThat(response.headers().get("allow")).isEqualTo("POST");
        assertThat(delivered).isEmpty();
    }

    @Test
    void anOversizedBodyGets413() throws Exception {
        var declared = post(RaftRpcHandler.MESSAGE_PATH, SECRET, new byte[LIMIT * 4]);

        assertThat(declared.status()).isEqualTo(413);
        assertThat(delivered).isEmpty();
    }

    @Test
    void aCapturedRequestReplayedOnTheSameOrAnotherConnectionGets401() throws Exception {
        byte[] captured;
        HostPort target = HostPort.parse(transport.localAddress(), "test");
        try (var client = new RaftWireClient(target)) {
            client.handshake(SECRET);
            captured = client.authenticated(RaftRpcHandler.MESSAGE_PATH, MessageCodec.encode(timeoutNow()));
            assertThat(client.send(captured).status()).isEqualTo(204);
            assertThat(client.send(captured).status()).as("same connection, counter used").isEqualTo(401);
        }
        try (var replayer = new RaftWireClient(target)) {
            assertThat(replayer.send(captured).status()).as("new connection, no handshake").isEqualTo(401);
        }
        try (var replayer = new RaftWireClient(target)) {
            // A stranger can run the handshake's first step but has no proof; with a guessed one it is refused.
            assertThat(replayer.handshake(ClusterSecret.of("guess")).status()).as("wrong secret").isEqualTo(401);
        }
        assertThat(delivered).containsExactly(timeoutNow());
    }

    @Test
    void aBodyChangedUnderItsMacGets401AndClosesTheSession() throws Exception {
        try (var client = new RaftWireClient(HostPort.parse(transport.localAddress(), "test"))) {
            client.handshake(SECRET);
            byte[] request = client.authenticated(RaftRpcHandler.MESSAGE_PATH, MessageCodec.encode(timeoutNow()));
            request[request.length - 1] ^= 1;
            assertThat(client.send(request).status()).isEqualTo(401);
        }
        assertThat(delivered).isEmpty();
    }

    @Test
    void aStreamHandsOnEachFrameAsItArrivesAndEndsWith204() throws Exception {
        try (var client = new RaftWireClient(HostPort.parse(transport.localAddress(), "test"))) {
            client.handshake(SECRET);
            assertThat(client.openStream().status()).isEqualTo(100);
            client.write(client.frame(MessageCodec.encodeBatch(List.of(timeoutNow()))));
            await().atMost(Duration.ofSeconds(10)).until(() -> delivered.size() == 1);
            client.write(client.frame(MessageCodec.encodeBatch(List.of(timeoutNow(), timeoutNow()))));
            await().atMost(Duration.ofSeconds(10)).until(() -> delivered.size() == 3);
            client.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(client.read().status()).isEqualTo(204);
        }
    }

    @Test
    void aStreamFrameChangedUnderItsMacOrReplayedGets401AndEndsTheStream() throws Exception {
        try (var client = new RaftWireClient(HostPort.parse(transport.localAddress(), "test"))) {
            client.handshake(SECRET);
            client.openStream();
            byte[] frame = client.frame(MessageCodec.encodeBatch(List.of(timeoutNow())));
            client.write(frame);
            client.write(frame);
            var replayed = client.read();
            assertThat(replayed.status()).isEqualTo(401);
            assertThat(replayed.body()).contains("stream frame counter 2 is not the next");
        }
        try (var client = new RaftWireClient(HostPort.parse(transport.localAddress(), "test"))) {
            client.handshake(SECRET);
            client.openStream();
            byte[] frame = client.frame(MessageCodec.encodeBatch(List.of(timeoutNow())));
            frame[frame.length - 3] ^= 1;
            client.write(frame);
            var changed = client.read();
            assertThat(changed.status()).isEqualTo(401);
            assertThat(changed.body()).contains("stream frame MAC does not match");
        }
        assertThat(delivered).containsExactly(timeoutNow());
    }

    @Test
    void aStreamWithoutTheHandshakeOrWithAGarbageOrOversizedFrameIsRefused() throws Exception {
        try (var client = new RaftWireClient(HostPort.parse(transport.localAddress(), "test"))) {
            var head = client.send(("POST " + RaftRpcHandler.STREAM_PATH + " HTTP/1.1\r\nHost: raft\r\n"
                    + "Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(head.status()).isEqualTo(401);
        }
        try (var client = new RaftWireClient(HostPort.parse(transport.localAddress(), "test"))) {
            client.handshake(SECRET);
            client.openStream();
            client.write(client.frame(new byte[] {0, 0, 0, 1, 9, 9, 9, 9, 9, 9, 9, 9}));
            var garbage = client.read();
            assertThat(garbage.status()).isEqualTo(400);
        }
        try (var client = new RaftWireClient(HostPort.parse(transport.localAddress(), "test"))) {
            client.handshake(SECRET);
            client.openStream();
            client.write(client.frame(new byte[LIMIT + 1]));
            var oversized = client.read();
            assertThat(oversized.status()).isEqualTo(413);
            assertThat(oversized.body()).contains("raft stream frame length " + (LIMIT + 1) + " is outside 1.." + LIMIT);
        }
        assertThat(delivered).isEmpty();
    }

    @Test
    void aDiallerLearnsNothingUsableFromAListenerWithoutTheSecret() throws Exception {
        // The listener proves first: the dialler checks that proof before sending its own.
        byte[] cn = ClusterSecret.newNonce();
        byte[] sn = ClusterSecret.newNonce();
        ClusterSecret mine = ClusterSecret.of("mine");
        assertThat(mine.listenerProof(cn, sn)).isNotEqualTo(mine.diallerProof(cn, sn));
        assertThat(mine.listenerProof(cn, sn)).isNotEqualTo(ClusterSecret.of("theirs").listenerProof(cn, sn));
    }

    @Test
    void aSnapshotShorterThanItsHeaderSaysFailsWith500AndIsNotAccepted() throws Exception {
        var response = post(RaftRpcHandler.SNAPSHOT_PATH, SECRET, snapshotBody(1000, 10));

        assertThat(response.status()).isEqualTo(500);
        assertThat(response.body()).contains("snapshot stream ended after 10 of 1000 bytes");
        assertThat(delivered).isEmpty();
    }

    @Test
    void aSnapshotLongerThanItsHeaderSaysFailsWith500AndIsNotAccepted() throws Exception {
        var response = post(RaftRpcHandler.SNAPSHOT_PATH, SECRET, snapshotBody(10, 11));

        assertThat(response.status()).isEqualTo(500);
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
            // This port's proof did not check out for the intruder, so it stopped after its hello.
            assertThat(transport.refusedRequests()).isZero();
            assertThat(delivered).isEmpty();
        } finally {
            intruder.close();
        }
    }

    private int port() {
        return HostPort.parse(transport.localAddress(), "test").port();
    }

    /** Posts on a fresh connection, after the handshake with {@code secret} when it is not null. */
    private RaftWireClient.Reply post(String path, ClusterSecret secret, byte[] body) throws Exception {
        try (var client = new RaftWireClient(HostPort.parse(transport.localAddress(), "test"))) {
            if (secret == null) {
                return client.send(RaftWireClient.raw("POST", path, null, body));
            }
            RaftWireClient.Reply proved = client.handshake(secret);
            if (proved.status() != 204) {
                return proved;
            }
            return client.send(path.equals(RaftRpcHandler.SNAPSHOT_PATH)
                    ? client.authenticatedSnapshot(body, preambleLength(body)) : client.authenticated(path, body));
        }
    }

    private static int preambleLength(byte[] body) {
        return body.length < 4 ? body.length : Math.min(body.length, 4 + java.nio.ByteBuffer.wrap(body).getInt());
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
