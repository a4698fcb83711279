package dev.skiff.archive;

import dev.skiff.kv.CommitStamp;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends one segment and its manifest link to an archive: the segment first (under a key no
 * other writer uses), then the link with a conditional create, so a link never points at a
 * segment that is not there, and of two writers racing for the same link exactly one wins.
 * Stateless apart from its settings; one append at a time per chain.
 */
public final class ArchiveWriter {

    private static final Logger log = LoggerFactory.getLogger(ArchiveWriter.class);

    private final ArchiveObjects objects;
    private final String writer;
    private final boolean readBack;

    /**
     * @param writer   this node's id, recorded in each link and segment key
     * @param readBack read each link back after writing it, for stores that ignore conditional creates
     */
    public ArchiveWriter(ArchiveObjects objects, String writer, boolean readBack) {
        this.objects = Objects.requireNonNull(objects, "objects");
        this.writer = Objects.requireNonNull(writer, "writer");
        this.readBack = readBack;
    }

    /**
     * Appends {@code entries} after {@code chain}'s last link.
     *
     * @param base the snapshot index the entries continue from when they do not follow the
     *             chain's last entry (or, on an empty chain, do not start at index 1); else null
     * @return the chain with the new link (its last link only), or null if another writer
     *         created that link first (the caller re-reads the chain)
     */
    public ArchiveChain append(ArchiveChain chain, List<LogEntry> entries, Long base) throws IOException {
        ManifestRecord previous = chain.last();
        long seq = previous == null ? 0 : previous.seq() + 1;
        LogEntry first = entries.get(0);
        LogEntry last = entries.get(entries.size() - 1);
        if (base == null && previous == null && first.index() != 1) {
            base = first.index() - 1; // an archive started on a compacted log continues a snapshot
        }
        byte[] segment = ArchiveSegment.encode(entries);
        String segmentKey = ManifestRecord.SEGMENT_PREFIX + String.format("%020d-%020d-%s-%08x.seg", first.index(),
                last.index(), writer, ThreadLocalRandom.current().nextInt());
        Long minTime = null;
        Long maxTime = null;
        for (LogEntry e : entries) {
            if (e.type() == LogType.COMMAND) {
                var stamp = CommitStamp.of(e.data());
                if (stamp.isPresent()) {
                    minTime = minTime == null ? stamp.getAsLong() : Math.min(minTime, stamp.getAsLong());
                    maxTime = maxTime == null ? stamp.getAsLong() : Math.max(maxTime, stamp.getAsLong());
                }
            }
        }
        objects.put(segmentKey, segment);
        ManifestRecord link = new ManifestRecord(1, seq, chain.lastHash(), first.index(), last.index(), last.term(),
                ManifestRecord.sha256(last), minTime, maxTime, segmentKey, segment.length, ManifestRecord.sha256(segment), base,
                writer, System.currentTimeMillis());
        byte[] bytes = link.toBytes();
        String key = ManifestRecord.key(seq);
        if (!objects.putIfAbsent(key, bytes)) {
            log.info("log archive: manifest {} was written by another archiver first; re-reading the chain", objects.describe(key));
            objects.delete(segmentKey);
            return null;
        }
        if (readBack && !Arrays.equals(objects.get(key).orElse(new byte[0]), bytes)) {
            log.warn("log archive: manifest {} was replaced by another writer right after this node wrote it; re-reading "
                    + "the chain", objects.describe(key));
            return null;
        }
        log.debug("log archive: uploaded entries {}..{} as {} (manifest {})", first.index(), last.index(), segmentKey, key);
        return new ArchiveChain(List.of(link), ManifestRecord.sha256(bytes));
    }
}
