package dev.skiff.archive;

import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.SnapshotStore;
import java.io.IOException;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --log-archive-retention}: deletes the snapshots and the oldest manifest links (with
 * their segments) that no restore point inside the retention window needs.
 *
 * <p>A restore to a point starts from the newest snapshot at or before it and replays the
 * archive from there. So the window needs its <em>base</em>: the newest snapshot at or before
 * every entry stamped before the cutoff, found through the links' newest stamps (an entry is
 * known to precede the cutoff only if its whole link does, which errs towards keeping more).
 * Snapshots older than the base go. A link may go when it holds nothing written after the
 * cutoff and ends at or before the oldest snapshot left (every later point starts from that
 * snapshot or a newer one). The floor ({@link ArchiveFloor}) is written before any link is
 * deleted. Stateless.
 *
 * <p>The node keeps snapshots beside an archive for this (the snapshot store itself deletes
 * none of them), so that a 30-day window holds 30 days of restore points and not just the
 * last few snapshots' worth.
 */
public final class ArchiveRetention {

    private static final Logger log = LoggerFactory.getLogger(ArchiveRetention.class);

    /**
     * What one pass deleted.
     *
     * @param snapshots how many snapshots
     * @param links     how many manifest links (each with its segment)
     */
    public record Pruned(int snapshots, int links) {
    }

    private ArchiveRetention() {
    }

    /**
     * Deletes what no restore point after {@code cutoffMillis} needs.
     *
     * @param snapshots the snapshots at the archive's location (restores read them there)
     */
    public static Pruned prune(ArchiveObjects objects, SnapshotStore snapshots, long cutoffMillis) throws IOException {
        List<SnapshotMeta> all = snapshots.list();
        if (all.isEmpty()) {
            return new Pruned(0, 0); // every point is restored from the archive's start: keep it all
        }
        List<ManifestRecord> links = ArchiveChain.read(objects).links();
        long beforeCutoff = 0; // every entry up to this index was stamped before the cutoff
        for (ManifestRecord link : links) {
            if (newestTime(link) >= cutoffMillis) {
                break;
            }
            beforeCutoff = link.lastIndex();
        }
        long lastBeforeCutoff = beforeCutoff;
        Optional<SnapshotMeta> base = all.stream().filter(m -> m.index() <= lastBeforeCutoff)
                .max(Comparator.comparingLong(SnapshotMeta::index));
        int deletedSnapshots = 0;
        if (base.isPresent()) {
            for (SnapshotMeta m : all) {
                if (m.index() < base.get().index()) {
                    snapshots.delete(m.id());
                    deletedSnapshots++;
                }
            }
            if (deletedSnapshots > 0) {
                log.info("log archive retention: deleted {} snapshots older than {} (index {}), the newest at or before "
                        + "the retention window's start", deletedSnapshots, base.get().id(), base.get().index());
            }
        }
        long oldestSnapshot = base.map(SnapshotMeta::index)
                .orElseGet(() -> all.stream().mapToLong(SnapshotMeta::index).min().orElseThrow());
        int drop = 0;
        // Always keep the last link: the archiver continues the chain from it.
        while (drop < links.size() - 1) {
            ManifestRecord link = links.get(drop);
            if (link.lastIndex() > oldestSnapshot || newestTime(link) >= cutoffMillis) {
                break;
            }
            drop++;
        }
        if (drop == 0) {
            return new Pruned(deletedSnapshots, 0);
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
        return new Pruned(deletedSnapshots, drop);
    }

    /** The newest stamp in a link, or when it was written if it holds no stamped entry (later than any stamp in it). */
    private static long newestTime(ManifestRecord link) {
        return link.maxTime() != null ? link.maxTime() : link.writtenAt();
    }
}
