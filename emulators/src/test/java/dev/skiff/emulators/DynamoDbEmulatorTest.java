package dev.skiff.emulators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

/**
 * What {@link DynamoDbEmulator} adds to the fake: tables kept across a restart over the same
 * directory, conditional writes applied one at a time, an existing table never created again.
 * (The DynamoDB behaviour Skiff relies on is checked by the storage-dynamo suites.)
 */
class DynamoDbEmulatorTest {

    @TempDir
    Path tmp;

    private static DynamoDbClient client(DynamoDbEmulator emulator) {
        return DynamoDbClient.builder()
                .endpointOverride(emulator.endpoint())
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .build();
    }

    private static void createTable(DynamoDbClient c, String name) {
        c.createTable(r -> r.tableName(name).billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(a -> a.attributeName("pk").attributeType(ScalarAttributeType.S))
                .keySchema(k -> k.attributeName("pk").keyType(KeyType.HASH)));
    }

    private static Map<String, AttributeValue> item(String pk, String value) {
        return Map.of("pk", AttributeValue.fromS(pk), "v", AttributeValue.fromS(value));
    }

    @Test
    void when_restartedOverTheSameDirectory_then_everyAnsweredWriteIsThere() throws IOException {
        Path data = tmp.resolve("tables");
        try (DynamoDbEmulator first = DynamoDbEmulator.start(new InetSocketAddress("127.0.0.1", 0), data);
             DynamoDbClient c = client(first)) {
            createTable(c, "t1");
            c.putItem(r -> r.tableName("t1").item(item("a", "1")));
            c.putItem(r -> r.tableName("t1").item(item("b", "2")));
            c.deleteItem(r -> r.tableName("t1").key(Map.of("pk", AttributeValue.fromS("b"))));
        }
        assertThat(data).isDirectoryContaining(p -> p.getFileName().toString().equals("t1.json"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("t1.json")))).isEqualTo("rw-------");
        try (DynamoDbEmulator second = DynamoDbEmulator.start(new InetSocketAddress("127.0.0.1", 0), data);
             DynamoDbClient c = client(second)) {
            assertThat(c.listTables().tableNames()).containsExactly("t1");
            assertThat(c.getItem(r -> r.tableName("t1").key(Map.of("pk", AttributeValue.fromS("a")))).item())
                    .containsEntry("v", AttributeValue.fromS("1"));
            assertThat(c.getItem(r -> r.tableName("t1").key(Map.of("pk", AttributeValue.fromS("b")))).item())
                    .as("the deleted item stays deleted").isEmpty();
        }
    }

    @Test
    void when_aTableIsCreatedAgain_then_itIsResourceInUseAndKeepsItsItems() throws IOException {
        // Nodes started together with --create-tables each create the table they find missing:
        // DynamoDB refuses all but the first, and a second create must not empty the table
        // (which would delete a record another node had just written).
        try (DynamoDbEmulator emulator = DynamoDbEmulator.start(new InetSocketAddress("127.0.0.1", 0), tmp.resolve("t"));
             DynamoDbClient c = client(emulator)) {
            createTable(c, "shared");
            c.putItem(r -> r.tableName("shared").item(item("a", "1")));

            assertThatThrownBy(() -> createTable(c, "shared")).isInstanceOf(ResourceInUseException.class)
                    .hasMessageContaining("shared");
            assertThat(c.getItem(r -> r.tableName("shared").key(Map.of("pk", AttributeValue.fromS("a")))).item())
                    .containsEntry("v", AttributeValue.fromS("1"));
            createTable(c, "other");
            assertThat(c.listTables().tableNames()).containsExactlyInAnyOrder("shared", "other");
        }
    }

    @Test
    void when_manyClientsRaceForTheSameConditionalPut_then_exactlyOneWinsEveryRound() throws Exception {
        int rounds = 20;
        int contenders = 8;
        try (DynamoDbEmulator emulator = DynamoDbEmulator.start(new InetSocketAddress("127.0.0.1", 0), null);
             DynamoDbClient c = client(emulator);
             ExecutorService pool = Executors.newFixedThreadPool(contenders)) {
            createTable(c, "locks");
            for (int round = 0; round < rounds; round++) {
                String key = "lock-" + round;
                List<Callable<Boolean>> tasks = new ArrayList<>();
                for (int i = 0; i < contenders; i++) {
                    String holder = "n" + i;
                    tasks.add(() -> {
                        try {
                            c.putItem(r -> r.tableName("locks").item(item(key, holder))
                                    .conditionExpression("attribute_not_exists(pk)"));
                            return true;
                        } catch (ConditionalCheckFailedException e) {
                            return false;
                        }
                    });
                }
                int winners = 0;
                for (Future<Boolean> f : pool.invokeAll(tasks)) {
                    winners += f.get() ? 1 : 0;
                }
                assertThat(winners).as("winners of round %d", round).isEqualTo(1);
            }
        }
    }

    @Test
    void when_aTableFileIsCorrupt_then_startingNamesTheFileAndTheFix() throws IOException {
        Path data = Files.createDirectories(tmp.resolve("bad"));
        Files.writeString(data.resolve("t.json"), "{not json");
        assertThatThrownBy(() -> DynamoDbEmulator.start(new InetSocketAddress("127.0.0.1", 0), data))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("t.json")
                .hasMessageContaining("move it away");
    }

    @Test
    void when_theFakeCannotParseARequest_then_itIsA400ValidationErrorNamingTheEmulator_notARetried500() throws IOException {
        try (DynamoDbEmulator emulator = DynamoDbEmulator.start(new InetSocketAddress("127.0.0.1", 0), null);
             DynamoDbClient c = client(emulator)) {
            createTable(c, "t");
            assertThatThrownBy(() -> c.putItem(r -> r.tableName("t").item(Map.of("pk", AttributeValue.fromS("a"),
                    "empty", AttributeValue.fromB(SdkBytes.fromByteArray(new byte[0]))))))
                    .isInstanceOfSatisfying(DynamoDbException.class, e -> {
                        assertThat(e.statusCode()).isEqualTo(400);
                        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
                        assertThat(e.numAttempts()).as("not retried").isEqualTo(1);
                    })
                    .hasMessageContaining("the DynamoDB emulator (http4k-connect's fake) cannot handle this PutItem request");
        }
    }
}
