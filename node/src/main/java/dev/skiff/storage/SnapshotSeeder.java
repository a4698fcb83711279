package dev.skiff.storage;

import dev.skiff.raft.CannotBootstrapException;
import dev.skiff.raft.Configuration;
import dev.skiff.raft.ConfigurationCodec;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogStore;
import dev.skiff.raft.LogType;
import dev.skiff.raft.OpenSnapshot;
import dev.skiff.raft.Raft;
import dev.skiff.raft.RaftStorage;
import dev.skiff.raft.Server;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.SnapshotSink;
import dev.skiff.raft.SnapshotStore;
import dev.skiff.raft.StableStore;
import dev.skiff.raft.Suffrage;
import dev.skiff.raft.core.HardState;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whole-cluster restore ({@code --restore-from}): seeds a fresh node's stores with a snapshot
 * of another (usually lost) cluster, so that when {@link Raft#create} starts on them the node
 * is the single voter of a new cluster whose state is that snapshot; other nodes then join it
 * as usual.
 *
 * <p>The snapshot carries the old cluster's configuration, whose ids and addresses are gone,
 * so the seeded node must not start in it. {@link #seed} writes:
 * <ol>
 *   <li>the snapshot's data, at its original index {@code i} and term {@code t}, with the new
 *       configuration (this node alone, as a voter) in its metadata;</li>
 *   <li>a configuration entry with that configuration at {@code i + 1}, term {@code t + 1}: the
 *       log continues past the snapshot, as the FSM expects (the KV store refuses entries at or
 *       below the index it was restored at);</li>
 *   <li>term {@code t + 1} and no vote in the stable store, so that the terms in the log never go
 *       backwards.</li>
 * </ol>
 * The node then elects itself (it is the only voter) in term {@code t + 2} and commits.
 *
 * <p><b>Crash safety.</b> The data is copied (and its checksum verified) into an uncommitted
 * snapshot first, so a damaged or unreachable source changes nothing; the term, the log entry
 * and the snapshot's commit follow. A crash among those last three writes leaves partial
 * state, which a second run refuses like any existing state: delete the data directory and run
 * the restore again.
 *
 * <p>Blocking; call it before {@link Raft#create}, on stores no Raft server uses. Stateless.
 */
public final class SnapshotSeeder {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotSeeder.class);

    private SnapshotSeeder() {
    }

    /**
     * What a seeding did.
     *
     * @param source     the snapshot restored, as the source store describes it
     * @param local      the local snapshot written (same data, the new configuration)
     * @param nextIndex  the log index after the snapshot: the seeded configuration entry
     * @param term       the term written to the stable store
     */
    public record Seeded(SnapshotMeta source, SnapshotMeta local, long nextIndex, long term) {
    }

    /**
     * A snapshot store and, if the URI named one, a snapshot id in it.
     *
     * @param store      where the snapshot is
     * @param snapshotId the snapshot to restore, or empty for the newest
     */
    public record Source(SnapshotStore store, Optional<String> snapshotId) implements AutoCloseable {

        /** Closes the store if it holds resources (an S3 client). */
        @Override
        public void close() throws IOException {
            if (store instanceof AutoCloseable closeable) {
                try {
                    closeable.close();
                } catch (IOException | RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IOException("closing " + store + ": " + e, e);
                }
            }
        }
    }

    /**
     * Resolves a {@code --restore-from} URI, {@code scheme://location[/snapshot-id]}, through
     * the {@link StorageProvider} of its scheme: if the store at the whole URI holds snapshots,
     * the newest is meant; otherwise the last path segment is taken as a snapshot id in the
     * store at the rest of the URI.
     *
     * @param context the node's context; the source store is opened without creating anything
     * @throws FileNotFoundException    if there is no snapshot at the URI, naming the forms it takes
     * @throws IllegalArgumentException if no provider serves the URI's scheme
     */
    public static Source locate(URI uri, StorageContext context) throws IOException {
        StorageProvider provider = StorageProviders.forUri(uri, "--restore-from");
        StorageContext readOnly = new StorageContext(context.clusterName(), context.nodeId(), context.snapshotRetain(), false,
                context.meters());
        SnapshotStore whole = provider.snapshotStore(uri, readOnly);
        if (!whole.list().isEmpty()) {
            return new Source(whole, Optional.empty());
        }
        closeQuietly(whole);
        String path = uri.getPath() == null ? "" : uri.getPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        int slash = path.lastIndexOf('/');
        if (slash >= 0 && slash < path.length() - 1) {
            String id = path.substring(slash + 1);
            URI parent;
            try {
                parent = new URI(uri.getScheme(), uri.getAuthority(), path.substring(0, slash), uri.getQuery(), null);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("--restore-from " + uri + ": " + e.getMessage(), e);
            }
            SnapshotStore store = provider.snapshotStore(parent, readOnly);
            if (store.list().stream().anyMatch(m -> m.id().equals(id))) {
                return new Source(store, Optional.of(id));
            }
            closeQuietly(store);
        }
        throw new FileNotFoundException("--restore-from " + uri + ": no snapshot there (give the snapshot location for "
                + "its newest snapshot, or the location followed by /<snapshot-id> for a given one)");
    }

    /**
     * Copies a snapshot from {@code source} into a fresh node's stores so that it starts as the
     * single voter {@code self} of a new cluster holding the snapshot's state (see the class
     * comment for what is written, and why).
     *
     * @param snapshotId the snapshot to restore, or empty for the newest in {@code source}
     * @param self       this node: its id, Raft address and API address (suffrage is ignored)
     * @throws CannotBootstrapException        if the node already has Raft state; nothing is changed
     * @throws FileNotFoundException           if the source has no such snapshot (or none at all)
     * @throws dev.skiff.raft.CorruptLogException if the source snapshot fails its checksum; nothing
     *                                         is changed
     * @throws IOException                     if reading the source or writing the stores fails
     */
    public static Seeded seed(SnapshotStore source, Optional<String> snapshotId, Server self,
                              SnapshotStore snapshots, LogStore logs, StableStore stable) throws IOException {
        if (Raft.hasExistingState(logs, stable, snapshots)) {
            throw new CannotBootstrapException("--restore-from only seeds a node with no state, and node " + self.id()
                    + " has some (term " + stable.getLong(StableStore.CURRENT_TERM, 0) + ", last log index " + logs.lastIndex()
                    + ", " + snapshots.list().size() + " snapshot(s) in " + snapshots + "); nothing was changed. Start it on "
                    + "an empty data directory, with --snapshots at a new location (not the one restored from) and a new "
                    + "--cluster name if the stable store is shared; if an earlier --restore-from was interrupted, delete "
                    + "its data directory and run it again.");
        }
        Configuration configuration = Configuration.of(self.withSuffrage(Suffrage.VOTER));
        String id = snapshotId.isPresent() ? snapshotId.get() : newest(source);
        try (OpenSnapshot open = source.open(id)) {
            SnapshotMeta from = open.meta();
            long nextIndex = from.index() + 1;
            long term = from.term() + 1;
            SnapshotSink sink = snapshots.create(from.index(), from.term(), configuration, from.index());
            SnapshotMeta local;
            try {
                long copied = copy(open.data(), sink.out());
                if (copied != from.size()) {
                    throw new IOException("snapshot " + id + " in " + source + " gave " + copied + " bytes, its metadata says "
                            + from.size());
                }
                new RaftStorage(logs, stable, snapshots).saveHardState(new HardState(term, null));
                logs.reset(nextIndex);
                logs.storeLogs(List.of(new LogEntry(nextIndex, term, LogType.CONFIGURATION,
                        ConfigurationCodec.encode(configuration))));
                local = sink.commit();
            } catch (IOException | RuntimeException e) {
                sink.cancel();
                throw e;
            }
            LOG.warn("seeded node {} from snapshot {} (index {}, term {}, {} bytes) as the single voter of a new cluster; "
                    + "its log continues at index {}", self.id(), id, from.index(), from.term(), from.size(), nextIndex);
            return new Seeded(from, local, nextIndex, term);
        }
    }

    private static String newest(SnapshotStore source) throws IOException {
        List<SnapshotMeta> all = source.list();
        if (all.isEmpty()) {
            throw new FileNotFoundException("no snapshot to restore from in " + source);
        }
        return all.get(0).id();
    }

    /** Copies to the end of {@code in}, which is where a snapshot stream verifies its checksum. */
    private static long copy(InputStream in, OutputStream out) throws IOException {
        byte[] buffer = new byte[256 << 10];
        long total = 0;
        for (int n; (n = in.read(buffer)) >= 0; ) {
            out.write(buffer, 0, n);
            total += n;
        }
        return total;
    }

    private static void closeQuietly(SnapshotStore store) {
        if (store instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                LOG.debug("closing {} failed: {}", store, e.toString());
            }
        }
    }
}
