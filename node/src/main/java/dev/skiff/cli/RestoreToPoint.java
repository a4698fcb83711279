package dev.skiff.cli;

import dev.skiff.archive.ArchiveLocations;
import dev.skiff.archive.ArchiveObjects;
import dev.skiff.archive.CorruptArchiveException;
import dev.skiff.archive.PointInTimeRestore;
import dev.skiff.archive.RestoreTarget;
import dev.skiff.kv.KvSnapshotValidator;
import dev.skiff.raft.LogStore;
import dev.skiff.raft.Server;
import dev.skiff.raft.SnapshotStore;
import dev.skiff.raft.StableStore;
import dev.skiff.storage.SnapshotSeeder;
import dev.skiff.storage.StorageContext;
import dev.skiff.storage.StorageProviders;
import dev.skiff.wal.FileSnapshotStore;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code --restore-from LOCATION --restore-to-index N | --restore-to-time T}: seeds a fresh node
 * with the committed state at that point, rebuilt by {@link PointInTimeRestore} from the
 * snapshots and the log archive at {@code LOCATION} (the old cluster's {@code --snapshots} and
 * {@code --log-archive} location). The node becomes the single voter of a new cluster, as with
 * a plain {@code --restore-from}. Stateless.
 */
final class RestoreToPoint {

    private RestoreToPoint() {
    }

    static SnapshotSeeder.Seeded seed(URI uri, RestoreTarget target, StorageContext context, Server self,
                                      SnapshotStore snapshots, LogStore logs, StableStore stable, Path dataDir)
            throws IOException {
        StorageContext readOnly = new StorageContext(context.clusterName(), context.nodeId(), context.snapshotRetain(), false,
                context.meters());
        Path work = dataDir.resolve("restore-point.snap");
        try (ArchiveObjects archive = ArchiveLocations.open(uri, readOnly, "--restore-from");
             SnapshotSeeder.Source source = new SnapshotSeeder.Source(sourceSnapshots(uri, readOnly), java.util.Optional.empty())) {
            PointInTimeRestore.Plan plan;
            PointInTimeRestore.Result built;
            try {
                plan = PointInTimeRestore.plan(archive, source.store(), target);
                built = PointInTimeRestore.build(plan, archive, source.store(), work);
            } catch (CorruptArchiveException e) {
                throw new IOException("--restore-from " + uri + ": the archive is damaged: " + e.getMessage()
                        + ". Nothing was changed; restore to an earlier point (skiff archive ls " + uri
                        + " lists them) or repair the named object from the bucket's versions", e);
            }
            if (built.plan().index() < 1) {
                throw new IOException("--restore-from " + uri + ": the point asked for is before the first write");
            }
            return SnapshotSeeder.seedFile(work, built.plan().index(), self, snapshots, logs, stable,
                    KvSnapshotValidator::validate);
        } finally {
            Files.deleteIfExists(work);
        }
    }

    /** The snapshots at the archive's location ({@code file:///dir} or a provider's URI), read-only. */
    static SnapshotStore sourceSnapshots(URI uri, StorageContext readOnly) throws IOException {
        if ("file".equals(uri.getScheme())) {
            return FileSnapshotStore.openForReading(Path.of(uri.getPath()));
        }
        return StorageProviders.forUri(uri, "--restore-from").snapshotStore(uri, readOnly);
    }
}
