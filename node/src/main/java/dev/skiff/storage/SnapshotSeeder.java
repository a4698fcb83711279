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
import java.nio.file.Files;
import java.nio.file.Path;
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
 * <p><b>Crash safety.</b> The data is copied (its checksum verified, and its content checked by
 * the state machine's {@link DataCheck}) into an uncommitted snapshot first, so a damaged,
 * invalid or unreachable source changes nothing; the term, the log entry
 * and the snapshot's commit follow. A crash among those last three writes leaves partial
 * state, which a second run refuses like any existing state: delete the data directory and run
 * the restore again.
 *
 * <p>Blocking; call it before {@link Raft#create}, on stores no Raft server uses. Stateless.
 */
public final class SnapshotSeeder {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotSeeder.class);

    /** The term a snapshot file is placed in: it records none, and a term of 0 means "no entry". */
    public static final long FILE_TERM = 1;

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
     * Checks a snapshot's data for the state machine before a seeding commits it: reads
     * {@code data} to its end and throws, naming what is wrong, if the state machine could not
     * restore it. The node passes the KV store's validator; the seeder itself knows no state
     * machine.
     */
    @FunctionalInterface
    public interface DataCheck {

        /**
         * @param data   the snapshot's data, to be read to its end
         * @param length the data's length according to its source
         * @throws IOException naming the problem if the data is not a snapshot the state
         *                     machine can restore, or if reading it fails
         */
        void check(InputStream data, long length) throws IOException;
    }

    /**
     * Copies a snapshot from {@code source} into a fresh node's stores so that it starts as the
     * single voter {@code self} of a new cluster holding the snapshot's state (see the class
     * comment for what is written, and why).
     *
     * @param snapshotId the snapshot to restore, or empty for the newest in {@code source}
     * @param self       this node: its id, Raft address and API address (suffrage is ignored)
     * @param check      run over the data as it is copied; nothing is committed unless it passes
     * @throws CannotBootstrapException        if the node already has Raft state; nothing is changed
     * @throws FileNotFoundException           if the source has no such snapshot (or none at all)
     * @throws IOException                     if the data fails {@code check} or its checksum, or
     *                                         reading the source or writing the stores fails;
     *                                         nothing is changed but a crash-safety leftover
     */
    public static Seeded seed(SnapshotStore source, Optional<String> snapshotId, Server self,
                              SnapshotStore snapshots, LogStore logs, StableStore stable, DataCheck check) throws IOException {
        refuseExistingState(self, snapshots, logs, stable);
        String id = snapshotId.isPresent() ? snapshotId.get() : newest(source);
        try (OpenSnapshot open = source.open(id)) {
            return seed(open.meta(), open.data(), "snapshot " + id + " in " + source, self, snapshots, logs, stable, check);
        }
    }

    /**
     * Like {@link #seed(SnapshotStore, Optional, Server, SnapshotStore, LogStore, StableStore,
     * DataCheck) seed}, from a single snapshot file as {@code GET /v1/snapshot} (and {@code skiff
     * snapshot save}) writes it: the state machine's data alone, with no Raft metadata. The
     * snapshot is placed at {@code appliedIndex}, the index its state says it includes (the
     * caller reads it from the file), in term {@value #FILE_TERM}, so that the new cluster's
     * writes get indexes past every modify index in it.
     *
     * @param appliedIndex the index of the last entry the file's state includes; at least 1
     * @throws IllegalArgumentException if {@code appliedIndex} is below 1
     */
    public static Seeded seedFile(Path file, long appliedIndex, Server self, SnapshotStore snapshots, LogStore logs,
                                  StableStore stable, DataCheck check) throws IOException {
        if (appliedIndex < 1) {
            throw new IllegalArgumentException("a seeded snapshot needs an applied index of at least 1, got " + appliedIndex);
        }
        refuseExistingState(self, snapshots, logs, stable);
        SnapshotMeta from = new SnapshotMeta(file.getFileName().toString(), appliedIndex, FILE_TERM, Configuration.EMPTY, 0,
                Files.size(file), "");
        try (InputStream in = Files.newInputStream(file)) {
            return seed(from, in, file.toString(), self, snapshots, logs, stable, check);
        }
    }

    private static void refuseExistingState(Server self, SnapshotStore snapshots, LogStore logs, StableStore stable)
            throws IOException {
        if (Raft.hasExistingState(logs, stable, snapshots)) {
            throw new CannotBootstrapException("--restore-from only seeds a node with no state, and node " + self.id()
                    + " has some (term " + stable.getLong(StableStore.CURRENT_TERM, 0) + ", last log index " + logs.lastIndex()
                    + ", " + snapshots.list().size() + " snapshot(s) in " + snapshots + "); nothing was changed. Start it on "
                    + "an empty data directory, with --snapshots at a new location (not the one restored from) and a new "
                    + "--cluster name if the stable store is shared; if an earlier --restore-from was interrupted, delete "
                    + "its data directory and run it again.");
        }
    }

    private static Seeded seed(SnapshotMeta from, InputStream data, String what, Server self, SnapshotStore snapshots,
                               LogStore logs, StableStore stable, DataCheck check) throws IOException {
        Configuration configuration = Configuration.of(self.withSuffrage(Suffrage.VOTER));
        long nextIndex = from.index() + 1;
        long term = from.term() + 1;
        SnapshotSink sink = snapshots.create(from.index(), from.term(), configuration, from.index());
        SnapshotMeta local;
        try {
            // The check reads the data once, and every byte it reads goes into the sink: the
            // source is read once, and what is committed is exactly what was checked.
            CopyingStream copying = new CopyingStream(data, sink.out());
            try {
                check.check(copying, from.size());
                copying.transferTo(OutputStream.nullOutputStream());
            } catch (IOException e) {
                throw new IOException("cannot restore " + what + ": " + e.getMessage() + "; nothing was changed", e);
            }
            if (copying.count() != from.size()) {
                throw new IOException(what + " gave " + copying.count() + " bytes, its metadata says " + from.size());
            }
            // This node founds the new cluster: its log counts under the configuration below,
            // which records no incarnation (as a bootstrap's does).
            logs.markFounded();
            new RaftStorage(logs, stable, snapshots).saveHardState(new HardState(term, null));
            logs.reset(nextIndex);
            logs.storeLogs(List.of(new LogEntry(nextIndex, term, LogType.CONFIGURATION,
                    ConfigurationCodec.encode(configuration))));
            local = sink.commit();
        } catch (IOException | RuntimeException e) {
            sink.cancel();
            throw e;
        }
        LOG.warn("seeded node {} from {} (index {}, term {}, {} bytes) as the single voter of a new cluster; "
                + "its log continues at index {}", self.id(), what, from.index(), from.term(), from.size(), nextIndex);
        return new Seeded(from, local, nextIndex, term);
    }

    private static String newest(SnapshotStore source) throws IOException {
        List<SnapshotMeta> all = source.list();
        if (all.isEmpty()) {
            throw new FileNotFoundException("no snapshot to restore from in " + source);
        }
        return all.get(0).id();
    }

    /** Writes every byte read through it to {@code out}, and counts them. */
    private static final class CopyingStream extends InputStream {
        private final InputStream in;
        private final OutputStream out;
        private long count;

        CopyingStream(InputStream in, OutputStream out) {
            this.in = in;
            this.out = out;
        }

        long count() {
            return count;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                out.write(b, off, n);
                count += n;
            }
            return n;
        }
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
