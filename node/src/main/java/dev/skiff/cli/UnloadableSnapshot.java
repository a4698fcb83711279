package dev.skiff.cli;

import dev.skiff.kv.CorruptSnapshotException;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.SnapshotStore;
import dev.skiff.wal.FileSnapshotStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The start-up error for a newest snapshot the KV state machine cannot load: it names the
 * snapshot's file (or object) and what is wrong with it, and says how to start the node again.
 * Stateless.
 */
final class UnloadableSnapshot {

    private UnloadableSnapshot() {
    }

    /**
     * {@code failure} with the explanation if a {@link CorruptSnapshotException} caused it, else
     * {@code failure} itself.
     */
    static IOException explain(IOException failure, NodeSettings s, SnapshotStore snapshots) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof CorruptSnapshotException corrupt) {
                return new IOException(message(s, snapshots, corrupt), failure);
            }
        }
        return failure;
    }

    private static String message(NodeSettings s, SnapshotStore snapshots, CorruptSnapshotException e) {
        String what = "its newest snapshot";
        String aside = "move that snapshot out of " + snapshots;
        try {
            List<SnapshotMeta> all = snapshots.list();
            if (!all.isEmpty()) {
                SnapshotMeta newest = all.get(0);
                String position = " (index " + newest.index() + ", term " + newest.term() + ")";
                if (s.storage().snapshots() == null) {
                    Path dir = s.snapshotsDir().resolve(newest.id());
                    what = "its newest snapshot, " + dir.resolve(FileSnapshotStore.DATA_FILE) + position;
                    aside = "move the directory " + dir + " out of " + s.snapshotsDir() + " (keep it for diagnosis)";
                } else {
                    what = "its newest snapshot, " + newest.id() + " in " + s.storage().snapshots() + position;
                    aside = "move " + s.storage().snapshots() + "/" + newest.id() + "/ out of that prefix (keep it for diagnosis)";
                }
            }
        } catch (IOException listing) {
            // The generic advice stands; the listing failure is not what stopped the start.
        }
        return "node " + s.id() + " cannot load " + what + ": " + e.getMessage() + ". The node did not start. To start it, "
                + aside + " and start the node again: it then starts from the snapshot before it and its log, and catches up "
                + "from the cluster's leader. If no node of the cluster can start, start a new cluster from a backup with "
                + "--restore-from file:///path/to/backup.snap";
    }
}
