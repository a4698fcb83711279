package dev.skiff.storage.dynamo;

import dev.skiff.discovery.Discovery;
import dev.skiff.raft.StableStore;
import dev.skiff.storage.CloudCallMeters;
import dev.skiff.storage.StorageContext;
import dev.skiff.storage.StorageProvider;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The {@code dynamodb://} {@link StorageProvider}: Raft's term and vote
 * ({@code --stable dynamodb://TABLE}) and the discovery table
 * ({@code --discovery dynamodb://TABLE?cluster=NAME}). URI parameters: {@code cluster} (on
 * the discovery URI; the node resolves it into {@link StorageContext#clusterName()}),
 * {@code region}, {@code endpoint} (else {@code AWS_ENDPOINT_URL_DYNAMODB} /
 * {@code AWS_ENDPOINT_URL}). Each store gets its own client and closes it.
 */
public final class DynamoStorageProvider implements StorageProvider {

    @Override
    public Set<String> schemes() {
        return Set.of("dynamodb");
    }

    @Override
    public StableStore stableStore(URI uri, StorageContext context) throws IOException {
        String table = DynamoUris.table(uri, "--stable");
        DynamoDbClient client = DynamoClients.forUri(uri, System.getenv(), new CloudCallMeters(context.meters()));
        try {
            DynamoTables.ensure(client, table, context.createTables(), false);
            return DynamoStableStore.open(client, true, table, context.clusterName(), context.nodeId());
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
    }

    @Override
    public Discovery discovery(URI uri, StorageContext context) throws IOException {
        String table = DynamoUris.table(uri, "--discovery");
        DynamoDbClient client = DynamoClients.forUri(uri, System.getenv(), new CloudCallMeters(context.meters()));
        try {
            DynamoTables.ensure(client, table, context.createTables(), true);
            return new DynamoDiscovery(client, true, table, context.clusterName(), Discovery.DEFAULT_TTL, Clock.systemUTC());
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
    }
}
