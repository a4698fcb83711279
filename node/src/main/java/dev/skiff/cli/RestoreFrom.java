package dev.skiff.cli;

import dev.skiff.kv.InvalidSnapshotException;
import dev.skiff.kv.KvSnapshotValidator;
import dev.skiff.raft.LogStore;
import dev.skiff.raft.Server;
import dev.skiff.raft.SnapshotStore;
import dev.skiff.raft.StableStore;
import dev.skiff.storage.SnapshotSeeder;
import dev.skiff.storage.StorageContext;
import dev.skiff.wal.FileSnapshotStore;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code --restore-from}: seeds a fresh node's stores from a snapshot, so that it starts as the
 * single voter of a new cluster holding that state. The snapshot is one of
 * <ul>
 *   <li>{@code file:///path/to/file.snap}: a file written by {@code skiff snapshot save}
 *       ({@code GET /v1/snapshot});</li>
 *   <li>{@code file:///dir[/<snapshot-id>]}: a snapshot directory ({@code --snapshots} layout),
 *       its newest snapshot or the one named;</li>
 *   <li>{@code s3://bucket/prefix[/<snapshot-id>]} and other provider URIs.</li>
 * </ul>
 * Whatever the source, its data is checked by {@link KvSnapshotValidator} as it is copied, and
 * nothing is committed unless it passes. Stateless.
 */
final class RestoreFrom {

    /** The KV store's whole-snapshot check, as the seeder runs it over the copied data. */
    private static final SnapshotSeeder.DataCheck KV_CHECK = KvSnapshotValidator::validate;

    private RestoreFrom() {
    }

    /**
     * Seeds the empty stores from {@code uri}.
     *
     * @throws IOException naming the source and what is wrong with it (an invalid snapshot file,
     *                     no snapshot there, a store that cannot be read); nothing is changed
     */
    static SnapshotSeeder.Seeded seed(URI uri, StorageContext context, Server self, SnapshotStore snapshots, LogStore logs,
                                      StableStore stable) throws IOException {
        if ("file".equals(uri.getScheme()) && Files.isRegularFile(Path.of(uri.getPath()))) {
            return seedFile(uri, Path.of(uri.getPath()), self, snapshots, logs, stable);
        }
        try (SnapshotSeeder.Source source = "file".equals(uri.getScheme()) ? localSource(uri) : SnapshotSeeder.locate(uri, context)) {
            return SnapshotSeeder.seed(source.store(), source.snapshotId(), self, snapshots, logs, stable, KV_CHECK);
        }
    }

    private static SnapshotSeeder.Seeded seedFile(URI uri, Path file, Server self, SnapshotStore snapshots, LogStore logs,
                                                  StableStore stable) throws IOException {
        KvSnapshotValidator.Valid valid;
        try {
            valid = KvSnapshotValidator.validate(file);
        } catch (InvalidSnapshotException e) {
            throw new IOException("--restore-from " + uri + ": " + file + " is not a valid Skiff snapshot: " + e.getMessage()
                    + ". Nothing was changed; give a complete file written by skiff snapshot save (GET /v1/snapshot), "
                    + "or a snapshot directory (file:///dir or file:///dir/<snapshot-id>)", e);
        }
        if (valid.appliedIndex() < 1) {
            throw new IOException("--restore-from " + uri + ": " + file + " holds the state of a cluster that never applied a "
                    + "write (applied index 0): there is nothing to restore; start the new cluster with --bootstrap instead");
        }
        return SnapshotSeeder.seedFile(file, valid.appliedIndex(), self, snapshots, logs, stable, KV_CHECK);
    }

    /**
     * {@code file:///dir} (its newest snapshot) or {@code file:///dir/<snapshot-id>}, opened for
     * reading only: nothing in a directory the operator named is created or removed.
     */
    private static SnapshotSeeder.Source localSource(URI uri) throws IOException {
        Path path = Path.of(uri.getPath());
        if (Files.isDirectory(path)) {
            FileSnapshotStore whole = FileSnapshotStore.openForReading(path);
            if (!whole.list().isEmpty()) {
                return new SnapshotSeeder.Source(whole, Optional.empty());
            }
        }
        Path parent = path.getParent();
        if (parent != null && Files.isDirectory(parent)) {
            String id = path.getFileName().toString();
            FileSnapshotStore store = FileSnapshotStore.openForReading(parent);
            if (store.list().stream().anyMatch(m -> m.id().equals(id))) {
                return new SnapshotSeeder.Source(store, Optional.of(id));
            }
        }
        throw new FileNotFoundException("--restore-from " + uri + ": no snapshot there (give a file written by skiff "
                + "snapshot save, a snapshot directory for its newest snapshot, or the directory followed by /<snapshot-id>)");
    }
}
