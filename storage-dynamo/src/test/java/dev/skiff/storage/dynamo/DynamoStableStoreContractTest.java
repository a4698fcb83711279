package dev.skiff.storage.dynamo;

import dev.skiff.raft.StableStore;
import dev.skiff.raft.contract.StableStoreContract;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/** The StableStore contract against the open-source DynamoDB emulator (in this JVM). */
class DynamoStableStoreContractTest extends StableStoreContract {

    private static DynamoDbClient client;
    private static String table;
    /** Which node each open store belongs to, so that {@link #reopen} reopens the same record. */
    private final Map<StableStore, String> nodeOf = new HashMap<>();

    @BeforeAll
    static void createTable() throws IOException {
        client = DynamoEmulator.get().client();
        table = DynamoEmulator.uniqueName("stable");
        DynamoTables.ensure(client, table, true, false);
    }

    @Override
    protected StableStore newStore() throws IOException {
        String node = DynamoEmulator.uniqueName("n");
        DynamoStableStore s = DynamoStableStore.open(client, false, table, "contract", node);
        nodeOf.put(s, node);
        return s;
    }

    @Override
    protected StableStore reopen(StableStore store) throws IOException {
        store.close();
        String node = nodeOf.get(store);
        DynamoStableStore s = DynamoStableStore.open(client, false, table, "contract", node);
        nodeOf.put(s, node);
        return s;
    }
}
