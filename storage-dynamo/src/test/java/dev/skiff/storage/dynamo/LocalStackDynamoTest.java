package dev.skiff.storage.dynamo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.discovery.Member;
import dev.skiff.raft.StableStore;
import dev.skiff.raft.contract.StableStoreContract;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.localstack.LocalStackContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * The same suites on LocalStack, where a Docker engine exists; skipped cleanly where it does
 * not (these machines: the suites on the in-JVM open-source DynamoDB emulator cover the same ground).
 */
@Testcontainers(disabledWithoutDocker = true)
class LocalStackDynamoTest extends StableStoreContract {

    @Container
    static final LocalStackContainer localstack = new LocalStackContainer(DockerImageName.parse("localstack/localstack:3.8"))
            .withServices(LocalStackContainer.Service.DYNAMODB);

    private static DynamoDbClient client;
    private static final String TABLE = "skiff-localstack";
    private final Map<StableStore, String> nodeOf = new HashMap<>();

    @BeforeAll
    static void createTable() throws IOException {
        client = DynamoDbClient.builder()
                .endpointOverride(localstack.getEndpoint())
                .region(Region.of(localstack.getRegion()))
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(localstack.getAccessKey(), localstack.getSecretKey())))
                .overrideConfiguration(DynamoClients.overrides())
                .build();
        DynamoTables.ensure(client, TABLE, true, true);
    }

    @Override
    protected StableStore newStore() throws IOException {
        String node = DynamoEmulator.uniqueName("n");
        DynamoStableStore s = DynamoStableStore.open(client, false, TABLE, "localstack", node);
        nodeOf.put(s, node);
        return s;
    }

    @Override
    protected StableStore reopen(StableStore store) throws IOException {
        store.close();
        String node = nodeOf.get(store);
        DynamoStableStore s = DynamoStableStore.open(client, false, TABLE, "localstack", node);
        nodeOf.put(s, node);
        return s;
    }

    @Test
    void when_registeredAndLocked_then_discoveryAgrees() throws IOException {
        DynamoDiscovery d = new DynamoDiscovery(client, false, TABLE, "ls", Duration.ofSeconds(30), Clock.systemUTC());
        d.register(new Member("n1", "10.0.0.1:9001", "10.0.0.1:8001", Instant.now()));
        assertThat(d.members()).extracting(Member::id).containsExactly("n1");
        assertThat(d.acquireBootstrapLock("n1")).isEqualTo("n1");
        assertThat(d.acquireBootstrapLock("n2")).isEqualTo("n1");
    }
}
