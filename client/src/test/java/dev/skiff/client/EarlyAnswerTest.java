package dev.skiff.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
 * A node that answers {@code 413} as soon as it has read a request's head and closes the
 * connection without taking the body, as a node does with a value over its limit. The JDK's
 * HttpURLConnection keeps no answer once the write has failed, so the caller cannot get the
 * 413 itself; it must learn that nothing was applied and the likely cause, once (not "outcome
 * unknown", and not after resending the body until the retry budget is spent).
 */
class EarlyAnswerTest {

    private static final String ANSWER = "{\"error\":\"the value is 8388608 bytes, over the limit of 1048576 bytes\",\"code\":\"value_too_large\"}";

    private ServerSocket server;
    private final List<String> heads = new CopyOnWriteArrayList<>();
    private Thread acceptor;

    @BeforeEach
    void startImpatientServer() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = Thread.ofPlatform().daemon().start(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    InputStream in = s.getInputStream();
                    StringBuilder head = new StringBuilder();
                    for (int b; !head.toString().endsWith("\r\n\r\n") && (b = in.read()) >= 0; ) {
                        head.append((char) b);
                    }
                    heads.add(head.toString());
                    byte[] body = ANSWER.getBytes(StandardCharsets.UTF_8);
                    OutputStream out = s.getOutputStream();
                    out.write(("HTTP/1.1 413 Request Entity Too Large\r\nContent-Type: application/json\r\nContent-Length: "
                            + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(body);
                    out.flush();
                    s.shutdownOutput();
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

    @Test
    void when_theNodeAnswersBeforeTakingTheBody_then_theCallerLearnsNothingWasAppliedAndWhy() {
        try (SkiffClient client = SkiffClient.builder().endpoints("127.0.0.1:" + server.getLocalPort())
                .retryBudget(Duration.ofSeconds(2)).requestTimeout(Duration.ofSeconds(2)).build()) {
            assertThatThrownBy(() -> client.put("k", new byte[8 << 20]))
                    .isInstanceOf(SkiffException.class).isNotInstanceOf(OutcomeUnknownException.class)
                    .hasMessageContaining("before it had taken the 8388608-byte body, so nothing was applied")
                    .hasMessageContaining("--max-value-bytes");
        }
        assertThat(heads).singleElement().satisfies(head -> assertThat(head).startsWith("PUT /v1/kv/k HTTP/1.1"));
    }
}
