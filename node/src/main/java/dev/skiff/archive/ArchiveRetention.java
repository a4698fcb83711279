package dev.skiff.archive;

import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.SnapshotStore;
import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --log-archive-retention}: deletes the oldest manifest links and their segments once no
 * restore point inside the retention window needs them. A link is needed while a restore to a
 * point after the cutoff could replay it: it may go only when it holds nothing written after
 * the cutoff and ends at or before the oldest snapshot at the archive's location (every later
 * point starts from that snapshot or a newer one). Snapshots themselves are kept by the
 * snapshot store's own retention. The floor ({@link ArchiveFloor}) is written before anything
 * is deleted. Stateless.
 */
public final class ArchiveRetention {

    private static final Logger log = LoggerFactory.getLogger(ArchiveRetention.class);

    private ArchiveRetention() {
    }

    /**
     * Deletes what no restore point after {@code cutoffMillis} needs.
     *
     * @param snapshots the snapshots at the archive's location (restores read them there)
     * @return how many links were deleted
     */
    public static int prune(ArchiveObjects objects, SnapshotStore snapshots, long cutoffMillis) throws IOException {
        List<SnapshotMeta> all = snapshots.list();
        if (all.isEmpty()) {
            return 0; // every point is restored from the archive's start: keep it all
        }
        long oldestSnapshot = all.stream().mapToLong(SnapshotMeta::index).min().orElseThrow();
        List<ManifestRecord> links = ArchiveChain.read(objects).links();
        int drop = 0;
        // Always keep the last link: the archiver continues the chain from it.
        while (drop < links.size() - 1) {
            ManifestRecord link = links.get(drop);
            long newest = link.maxTime() != null ? link.maxTime() : link.writtenAt();
            if (link.lastIndex() > oldestSnapshot || newest >= cutoffMillis) {
                break;
            }
            drop++;
        }
        if (drop == 0) {
            return 0;
        }
        ManifestRecord firstKept = links.get(drop);
        new ArchiveFloor(firstKept.seq(), firstKept.prev(), firstKept.firstIndex(), System.currentTimeMillis()).write(objects);
        for (int i = 0; i < drop; i++) {
            objects.delete(ManifestRecord.key(links.get(i).seq()));
            objects.delete(links.get(i).segment());
        }
        log.info("log archive retention: deleted {} manifest links and segments (indexes {}..{}); the archive now starts at "
                + "index {} (a restore there needs a snapshot at or after {})", drop, links.get(0).firstIndex(),
                links.get(drop - 1).lastIndex(), firstKept.firstIndex(), firstKept.firstIndex() - 1);
        return drop;
    }
}
