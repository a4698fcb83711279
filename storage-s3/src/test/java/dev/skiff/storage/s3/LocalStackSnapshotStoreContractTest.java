package dev.skiff.storage.s3;

import dev.skiff.raft.SnapshotStore;
import dev.skiff.raft.contract.SnapshotStoreContract;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.testcontainers.containers.localstack.LocalStackContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The snapshot store contract against LocalStack's S3, where a Docker engine exists; skipped
 * (not failed) where it does not. Uses the SDK's default checksum mode, as real S3 would.
 */
@Testcontainers(disabledWithoutDocker = true)
class LocalStackSnapshotStoreContractTest extends SnapshotStoreContract {

    @Container
    private static final LocalStackContainer LOCALSTACK = new LocalStackContainer(
            DockerImageName.parse("localstack/localstack:3.8")).withServices(LocalStackContainer.Service.S3);
    private static final AtomicInteger PREFIXES = new AtomicInteger();
    private static S3Client client;

    private static synchronized S3Client client() {
        if (client == null) {
            String endpoint = LOCALSTACK.getEndpointOverride(LocalStackContainer.Service.S3).toString();
            System.setProperty("aws.accessKeyId", LOCALSTACK.getAccessKey());
            System.setProperty("aws.secretAccessKey", LOCALSTACK.getSecretKey());
            client = S3ClientFactory.create(new S3Location("skiff-localstack", "", true, "", "", S3Location.MIN_PART_SIZE),
                    name -> null, name -> name.equals("aws.endpointUrlS3") ? endpoint : null,
                    () -> Region.of(LOCALSTACK.getRegion()), S3ClientFactory.Retries.standard(3));
        }
        return client;
    }

    @AfterAll
    static void closeClient() {
        if (client != null) {
            client.close();
        }
    }

    @Override
    protected SnapshotStore newStore(int retain) throws IOException {
        S3Location location = new S3Location("skiff-localstack", "contract-" + PREFIXES.incrementAndGet(), true, "", "",
                S3Location.MIN_PART_SIZE);
        return S3SnapshotStore.open(client(), location, retain, true);
    }

    @Override
    protected SnapshotStore reopen(SnapshotStore store) throws IOException {
        return S3SnapshotStore.open(client(), ((S3SnapshotStore) store).location(), 2, false);
    }
}
