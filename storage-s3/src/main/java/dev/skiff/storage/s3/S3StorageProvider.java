package dev.skiff.storage.s3;

import dev.skiff.archive.ArchiveObjects;
import dev.skiff.raft.SnapshotStore;
import dev.skiff.storage.CloudCallMeters;
import dev.skiff.storage.StorageContext;
import dev.skiff.storage.StorageProvider;
import java.io.IOException;
import java.net.URI;
import java.util.Set;

/**
 * The {@code s3://} storage provider: snapshot stores in S3 ({@code --snapshots},
 * {@code --restore-from}). Registered in {@code META-INF/services}; stateless and thread-safe.
 *
 * @see S3Location for the URI's options
 * @see S3ClientFactory for credentials, region, endpoint and retries
 */
public final class S3StorageProvider implements StorageProvider {

    /** For {@link java.util.ServiceLoader}. */
    public S3StorageProvider() {
    }

    @Override
    public Set<String> schemes() {
        return Set.of("s3");
    }

    /**
     * An {@link S3SnapshotStore} at {@code uri}, keeping {@link StorageContext#snapshotRetain()}
     * snapshots; it creates a missing bucket only with {@link StorageContext#createTables()}.
     * The store owns its client: close it ({@link AutoCloseable}) when the node stops.
     *
     * @throws IllegalArgumentException if the URI or the AWS configuration is invalid (names what)
     * @throws IOException              if the bucket does not exist or cannot be reached
     */
    @Override
    public SnapshotStore snapshotStore(URI uri, StorageContext context) throws IOException {
        S3Location location = S3Location.parse(uri, System::getenv);
        return S3SnapshotStore.open(location, context.snapshotRetain(), context.createTables(),
                new CloudCallMeters(context.meters()));
    }

    /**
     * The log archive's objects under {@code uri}'s prefix (beside the snapshots there); owns its
     * client: close it when done.
     *
     * @throws IllegalArgumentException if the URI or the AWS configuration is invalid (names what)
     */
    @Override
    public ArchiveObjects archiveObjects(URI uri, StorageContext context) {
        S3Location location = S3Location.parse(uri, System::getenv);
        return new S3ArchiveObjects(S3ClientFactory.create(location, new CloudCallMeters(context.meters())), location);
    }
}
