package dev.skiff.storage.dynamo;

import dev.skiff.raft.StableStore;
import dev.skiff.raft.contract.StableStoreContract;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/** The StableStore contract against DynamoDB Local. */
class DynamoStableStoreContractTest extends StableStoreContract {

    private static DynamoDbClient client;
    private static String table;
    /** Which node each open store belongs to, so that {@link #reopen} reopens the same record. */
    private final Map<StableStore, String> nodeOf = new HashMap<>();

    @BeforeAll
    static void createTable() throws IOException {
        client = DynamoLocal.get().client();
        table = DynamoLocal.uniqueName("stable");
        DynamoTables.ensure(client, table, true, false);
    }

    @Override
    protected StableStore newStore() throws IOException {
        String node = DynamoLocal.uniqueName("n");
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
