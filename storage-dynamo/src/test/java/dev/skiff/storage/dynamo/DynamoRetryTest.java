package dev.skiff.storage.dynamo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The clients' retries, against a fake DynamoDB endpoint that keeps failing: 5xx errors and
 * throttling are retried (with backoff), and the final error names the table.
 */
class DynamoRetryTest {

    private HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();
    private volatile int status;
    private volatile String errorType;

    @BeforeEach
    void startFake() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            byte[] body = ("{\"__type\":\"com.amazonaws.dynamodb.v20120810#" + errorType + "\",\"message\":\"fake\"}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.0");
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        System.setProperty("aws.accessKeyId", "test");
        System.setProperty("aws.secretAccessKey", "test");
    }

    @AfterEach
    void stopFake() {
        server.stop(0);
    }

    private DynamoDbClient client() {
        return DynamoClients.forUri(URI.create("dynamodb://t?region=us-east-1&endpoint=http://127.0.0.1:"
                + server.getAddress().getPort()), Map.of());
    }

    @Test
    void when_dynamoAnswers5xx_then_everyAttemptIsMadeAndTheErrorNamesTheTable() {
        status = 500;
        errorType = "InternalServerError";
        try (DynamoDbClient c = client()) {
            assertThatThrownBy(() -> DynamoStableStore.open(c, false, "retry-table", "c", "n1"))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("DynamoDB table retry-table")
                    .hasMessageContaining("after retries");
        }
        assertThat(requests.get()).isEqualTo(DynamoClients.MAX_ATTEMPTS);
    }

    @Test
    void when_dynamoThrottles_then_itIsRetried() {
        status = 400;
        errorType = "ThrottlingException";
        try (DynamoDbClient c = client()) {
            assertThatThrownBy(() -> new DynamoDiscovery(c, false, "retry-table", "c", java.time.Duration.ofSeconds(30),
                    java.time.Clock.systemUTC()).bootstrapLockHolder())
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("DynamoDB table retry-table");
        }
        assertThat(requests.get()).as("throttled requests are retried").isGreaterThan(1);
    }

    @Test
    void when_requestIsInvalid_then_itIsNotRetried() {
        status = 400;
        errorType = "ValidationException";
        try (DynamoDbClient c = client()) {
            assertThatThrownBy(() -> DynamoStableStore.open(c, false, "retry-table", "c", "n1")).isInstanceOf(IOException.class);
        }
        assertThat(requests.get()).isEqualTo(1);
    }
}
