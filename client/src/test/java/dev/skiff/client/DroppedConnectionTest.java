package dev.skiff.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A node that reads each request whole and then drops the connection without answering: the
 * outcome of a write is unknown, so the client must send it exactly once (API.md §10) — also
 * through the JDK's HttpURLConnection, which quietly sends some requests a second time when a
 * connection fails before the answer. A read may be sent again.
 */
class DroppedConnectionTest {

    private ServerSocket server;
    private final List<String> requestLines = new CopyOnWriteArrayList<>();
    private Thread acceptor;

    @BeforeEach
    void startDroppingServer() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = Thread.ofPlatform().daemon().start(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    requestLines.add(readRequest(s.getInputStream()));
                } catch (IOException e) {
                    // closed at the end of the test
                }
            }
        });
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        acceptor.join(2000);
    }

    private SkiffClient client() {
        return SkiffClient.builder().endpoints("127.0.0.1:" + server.getLocalPort())
                .retryBudget(Duration.ofSeconds(2)).requestTimeout(Duration.ofSeconds(2)).build();
    }

    @Test
    void when_theConnectionDropsAfterAPut_then_itIsSentOnceAndTheOutcomeIsUnknown() {
        try (SkiffClient client = client()) {
            assertThatThrownBy(() -> client.put("k", "v".getBytes(StandardCharsets.UTF_8)))
                    .isInstanceOf(OutcomeUnknownException.class).hasMessageContaining("may or may not have been applied");
        }
        assertThat(requestLines).containsExactly("PUT /v1/kv/k HTTP/1.1");
    }

    @Test
    void when_theConnectionDropsAfterADeleteWithoutBody_then_itIsSentOnce() {
        try (SkiffClient client = client()) {
            assertThatThrownBy(() -> client.delete("k")).isInstanceOf(OutcomeUnknownException.class);
        }
        assertThat(requestLines).containsExactly("DELETE /v1/kv/k HTTP/1.1");
    }

    @Test
    void when_theConnectionDropsAfterAPost_then_itIsSentOnce() {
        try (SkiffClient client = client()) {
            assertThatThrownBy(() -> client.transferLeadership(null)).isInstanceOf(OutcomeUnknownException.class);
        }
        assertThat(requestLines).containsExactly("POST /v1/cluster/leadership-transfer HTTP/1.1");
    }

    @Test
    void when_theConnectionDropsAfterARead_then_theReadIsRetriedUntilTheBudgetEnds() {
        try (SkiffClient client = client()) {
            assertThatThrownBy(() -> client.get("k")).isInstanceOf(SkiffException.class).hasMessageContaining("gave up after");
        }
        assertThat(requestLines).hasSizeGreaterThan(1).allMatch(line -> line.startsWith("GET /v1/kv/k?"));
    }

    /** Reads the request head and a Content-Length body; returns the request line. */
    private static String readRequest(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        long length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        in.readNBytes((int) length);
        return head.toString().split("\r\n", 2)[0];
    }
}
