package dev.skiff.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skiff.it.cluster.EmulatorProcess;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DynamoDB emulator process as {@link CloudClusterIT} uses it: what a {@code kill -9}
 * and a restart on the same port keep (every acknowledged write, conditions included), and
 * what {@code SIGSTOP} does (requests hang until {@code SIGCONT}). Requests are DynamoDB's
 * JSON protocol, sent raw (the emulator does not check signatures).
 */
class EmulatorProcessIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY)
            .connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path tmp;
    private EmulatorProcess dynamo;

    @AfterEach
    void stop() {
        if (dynamo != null) {
            dynamo.close();
        }
    }

    private record Reply(int status, JsonNode body) {
        String type() {
            return body.path("__type").asText();
        }
    }

    private Reply call(String operation, String body, Duration timeout) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(dynamo.endpoint()).timeout(timeout)
                .header("X-Amz-Target", "DynamoDB_20120810." + operation)
                .header("Content-Type", "application/x-amz-json-1.0")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body().isEmpty() ? JSON.nullNode() : JSON.readTree(r.body()));
    }

    private Reply call(String operation, String body) throws IOException, InterruptedException {
        return call(operation, body, Duration.ofSeconds(10));
    }

    private static String lockPut(String holder) {
        return "{\"TableName\":\"locks\",\"Item\":{\"pk\":{\"S\":\"bootstrap-lock\"},\"holder\":{\"S\":\"" + holder + "\"}},"
                + "\"ConditionExpression\":\"attribute_not_exists(pk)\"}";
    }

    @Test
    void when_killed9AndRestarted_then_everyAcknowledgedWriteAndItsConditionHold() throws Exception {
        dynamo = EmulatorProcess.dynamoDb(tmp.resolve("dynamodb"), tmp.resolve("dynamodb.log")).start();
        assertThat(call("CreateTable", "{\"TableName\":\"locks\",\"BillingMode\":\"PAY_PER_REQUEST\","
                + "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],"
                + "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}]}").status()).isEqualTo(200);
        assertThat(call("PutItem", lockPut("n1")).status()).isEqualTo(200);
        Reply second = call("PutItem", lockPut("n2"));
        assertThat(second.status()).isEqualTo(400);
        assertThat(second.type()).endsWith("ConditionalCheckFailedException");

        dynamo.kill9();
        assertThatThrownBy(() -> call("ListTables", "{}")).as("down: connections refused").isInstanceOf(IOException.class);
        dynamo.start();

        assertThat(call("ListTables", "{}").body().path("TableNames").toString()).isEqualTo("[\"locks\"]");
        Reply lock = call("GetItem", "{\"TableName\":\"locks\",\"Key\":{\"pk\":{\"S\":\"bootstrap-lock\"}},\"ConsistentRead\":true}");
        assertThat(lock.body().path("Item").path("holder").path("S").asText()).isEqualTo("n1");
        Reply late = call("PutItem", lockPut("n3"));
        assertThat(late.status()).isEqualTo(400);
        assertThat(late.type()).as("the lock taken before the kill still wins").endsWith("ConditionalCheckFailedException");
        System.out.println("dynamodb emulator: kill -9 and restart on " + dynamo.endpoint() + " kept the table and the lock");
    }

    @Test
    void when_paused_then_requestsHang_andAnswerAfterResume() throws Exception {
        dynamo = EmulatorProcess.dynamoDb(tmp.resolve("dynamodb"), tmp.resolve("dynamodb.log")).start();
        assertThat(call("ListTables", "{}").status()).isEqualTo(200);
        dynamo.pause();
        try {
            assertThatThrownBy(() -> call("ListTables", "{}", Duration.ofSeconds(2)))
                    .as("hung: accepted, no answer").isInstanceOf(HttpTimeoutException.class);
        } finally {
            dynamo.resume();
        }
        assertThat(call("ListTables", "{}").status()).isEqualTo(200);
    }
}
