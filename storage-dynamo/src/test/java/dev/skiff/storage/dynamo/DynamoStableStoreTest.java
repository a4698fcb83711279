package dev.skiff.storage.dynamo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.raft.StableStore;
import dev.skiff.raft.StableStoreFencedException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** Fencing, the never-backwards term, and failures that name the table, on the DynamoDB emulator. */
class DynamoStableStoreTest {

    private static DynamoDbClient client;
    private static String table;

    @BeforeAll
    static void createTable() throws IOException {
        client = DynamoEmulator.get().client();
        table = DynamoEmulator.uniqueName("stable");
        DynamoTables.ensure(client, table, true, false);
    }

    @Test
    void when_secondProcessOpensSameNode_then_theFirstIsFencedOnItsNextWrite() throws IOException {
        String node = DynamoEmulator.uniqueName("n");
        try (DynamoStableStore first = DynamoStableStore.open(client, false, table, "c", node)) {
            first.setLong(StableStore.CURRENT_TERM, 3);
            try (DynamoStableStore second = DynamoStableStore.open(client, false, table, "c", node)) {
                assertThat(second.epoch()).isEqualTo(first.epoch() + 1);
                assertThat(second.getLong(StableStore.CURRENT_TERM, 0)).isEqualTo(3);

                assertThatThrownBy(() -> first.setLong(StableStore.CURRENT_TERM, 4))
                        .isInstanceOf(StableStoreFencedException.class)
                        .hasMessageContaining("node " + node + " is fenced")
                        .hasMessageContaining("another process with the same --id")
                        .hasMessageContaining("run exactly one process per node id");
                second.setLong(StableStore.CURRENT_TERM, 4);
            }
            try (DynamoStableStore third = DynamoStableStore.open(client, false, table, "c", node)) {
                assertThat(third.getLong(StableStore.CURRENT_TERM, 0)).as("the fenced write left nothing").isEqualTo(4);
            }
        }
    }

    @Test
    void when_termWouldGoBackwards_then_theWriteIsRefusedAndNothingChanges() throws IOException {
        String node = DynamoEmulator.uniqueName("n");
        try (DynamoStableStore s = DynamoStableStore.open(client, false, table, "c", node)) {
            s.setAll(Map.of(StableStore.CURRENT_TERM, StableStore.encodeLong(9),
                    StableStore.LAST_VOTE_CANDIDATE, "n2".getBytes(StandardCharsets.UTF_8)));
            s.setLong(StableStore.CURRENT_TERM, 9); // the same term again is fine

            assertThatThrownBy(() -> s.setAll(Map.of(StableStore.CURRENT_TERM, StableStore.encodeLong(8),
                    StableStore.LAST_VOTE_CANDIDATE, "n3".getBytes(StandardCharsets.UTF_8))))
                    .isInstanceOf(StableStoreFencedException.class)
                    .hasMessageContaining("backwards from 9 to 8");
            assertThat(s.getLong(StableStore.CURRENT_TERM, 0)).isEqualTo(9);
        }
        try (DynamoStableStore r = DynamoStableStore.open(client, false, table, "c", node)) {
            assertThat(r.getLong(StableStore.CURRENT_TERM, 0)).isEqualTo(9);
            assertThat(new String(r.get(StableStore.LAST_VOTE_CANDIDATE).orElseThrow(), StandardCharsets.UTF_8)).isEqualTo("n2");
        }
    }

    @Test
    void when_sameNodeIdInTwoClusters_then_theirRecordsAreSeparate() throws IOException {
        try (DynamoStableStore a = DynamoStableStore.open(client, false, table, "alpha", "n1");
             DynamoStableStore b = DynamoStableStore.open(client, false, table, "beta", "n1")) {
            a.setLong(StableStore.CURRENT_TERM, 5);
            b.setLong(StableStore.CURRENT_TERM, 2);
            assertThat(a.getLong(StableStore.CURRENT_TERM, 0)).isEqualTo(5);
            assertThat(b.toString()).contains(table).contains("stable#beta#n1");
        }
    }

    @Test
    void when_dynamoIsUnreachable_then_theClientRetriesAndTheErrorNamesTheTable() {
        System.setProperty("aws.accessKeyId", "test");
        System.setProperty("aws.secretAccessKey", "test");
        URI uri = URI.create("dynamodb://some-table?region=us-east-1&endpoint=http://127.0.0.1:" + DynamoEmulator.freePort());
        try (DynamoDbClient dead = DynamoClients.forUri(uri, Map.of())) {
            assertThatThrownBy(() -> DynamoStableStore.open(dead, false, "some-table", "c", "n1"))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("DynamoDB table some-table")
                    .hasMessageContaining("node n1")
                    .hasMessageContaining("after retries");
        }
    }

    @Test
    void when_tableMissingWithoutCreateTables_then_theErrorSaysHowToCreateIt() {
        assertThatThrownBy(() -> DynamoTables.ensure(client, "no-such-table", false, false))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("DynamoDB table no-such-table does not exist")
                .hasMessageContaining("--create-tables");
    }

    @Test
    void when_aValueIsEmpty_then_itIsStoredAsNull_andAnEmptyBinaryFromAnOlderVersionStillReads() throws IOException {
        assertThat(DynamoStableStore.encode(new byte[0])).isEqualTo(AttributeValue.fromNul(true));
        assertThat(DynamoStableStore.decode(table, "n1", "k", AttributeValue.fromB(SdkBytes.fromByteArray(new byte[0])))).isEmpty();
        assertThat(DynamoStableStore.decode(table, "n1", "k", AttributeValue.fromNul(true))).isEmpty();
        assertThatThrownBy(() -> DynamoStableStore.decode(table, "n1", "LastVoteCand", AttributeValue.fromS("x")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("DynamoDB table " + table)
                .hasMessageContaining("node n1")
                .hasMessageContaining("key LastVoteCand");
    }
}
