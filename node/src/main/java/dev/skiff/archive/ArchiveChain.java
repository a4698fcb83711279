package dev.skiff.archive;

import dev.skiff.raft.LogEntry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The manifest chain as read back from the archive, checked link by link: seqs without a gap,
 * each link's {@code prev} equal to the hash of the link before it, and log indexes that go on
 * from one segment to the next (or restart at a snapshot base). Immutable.
 *
 * @param links     the links in seq order
 * @param lastHash  SHA-256 of the last link's bytes, or empty when there are none
 */
public record ArchiveChain(List<ManifestRecord> links, String lastHash, long firstSeq) {

    /** An archive with nothing in it yet. */
    public static final ArchiveChain EMPTY = new ArchiveChain(List.of(), "", 0);

    /** Compact constructor: copies the list. */
    public ArchiveChain {
        links = List.copyOf(links);
    }

    /** A chain of {@code links} (at least one), the last one's hash being {@code lastHash}. */
    public ArchiveChain(List<ManifestRecord> links, String lastHash) {
        this(links, lastHash, links.isEmpty() ? 0 : links.get(0).seq());
    }

    /** The last link, or null. */
    public ManifestRecord last() {
        return links.isEmpty() ? null : links.get(links.size() - 1);
    }

    /** The last archived index, or 0. */
    public long lastIndex() {
        return links.isEmpty() ? 0 : last().lastIndex();
    }

    /** This chain with its last link only: enough to check and extend it. */
    public ArchiveChain tail() {
        return links.size() <= 1 ? this : new ArchiveChain(List.of(last()), lastHash, last().seq());
    }

    /**
     * Reads and checks the whole chain: from link 0, or, once retention has removed the oldest
     * links, from the first link the retention floor ({@link ArchiveFloor}) names, whose
     * {@code prev} must be the hash the floor recorded.
     */
    public static ArchiveChain read(ArchiveObjects objects) throws IOException {
        Optional<ArchiveFloor> floor = ArchiveFloor.read(objects);
        ArchiveChain start = floor.map(f -> new ArchiveChain(List.of(), f.prevHash(), f.firstSeq())).orElse(EMPTY);
        return start.extend(objects);
    }

    /**
     * This chain with the links written after its last one, checked onto it.
     *
     * @throws CorruptArchiveException naming the object where the chain breaks
     */
    public ArchiveChain extend(ArchiveObjects objects) throws IOException {
        ManifestRecord last = last();
        String startAfter = last == null ? "" : ManifestRecord.key(last.seq());
        List<ManifestRecord> all = new ArrayList<>(links);
        String hash = lastHash;
        for (String key : objects.list(ManifestRecord.MANIFEST_PREFIX, startAfter)) {
            long seq = ManifestRecord.seqOf(key);
            if (seq < 0 || seq < firstSeq) {
                continue; // not a link, or one below the retention floor that retention has not deleted yet
            }
            long expected = all.isEmpty() ? firstSeq : all.get(all.size() - 1).seq() + 1;
            if (seq != expected) {
                throw new CorruptArchiveException("archive manifest " + objects.describe(ManifestRecord.key(expected))
                        + " is missing (the next link present is " + objects.describe(key) + "): the archive has a hole there");
            }
            byte[] bytes = objects.get(key).orElseThrow(() -> new CorruptArchiveException(
                    "archive manifest " + objects.describe(key) + " was listed but cannot be read"));
            ManifestRecord link = ManifestRecord.parse(bytes, objects.describe(key));
            if (link.seq() != seq || !link.prev().equals(hash)) {
                throw new CorruptArchiveException("archive manifest " + objects.describe(key) + " does not chain onto the link "
                        + "before it (its prev hash or seq differs): it was altered, or written by another cluster");
            }
            ManifestRecord before = all.isEmpty() ? null : all.get(all.size() - 1);
            long continues = before == null ? (firstSeq == 0 ? 1 : link.firstIndex()) : before.lastIndex() + 1;
            if (link.firstIndex() != continues && (link.baseSnapshotIndex() == null
                    || link.baseSnapshotIndex() != link.firstIndex() - 1 || link.firstIndex() < continues)) {
                throw new CorruptArchiveException("archive manifest " + objects.describe(key) + " starts at index "
                        + link.firstIndex() + " but the archive before it ends at " + (continues - 1));
            }
            all.add(link);
            hash = ManifestRecord.sha256(bytes);
        }
        return new ArchiveChain(all, hash, firstSeq);
    }

    /**
     * Downloads and checks a link's segment.
     *
     * @throws CorruptArchiveException naming the segment if it is missing, altered or not what
     *                                 its link says
     */
    public static List<LogEntry> readSegment(ArchiveObjects objects, ManifestRecord link) throws IOException {
        String where = objects.describe(link.segment());
        byte[] bytes = objects.get(link.segment()).orElseThrow(() -> new CorruptArchiveException(
                "archive segment " + where + " (indexes " + link.firstIndex() + ".." + link.lastIndex() + ") is missing"));
        if (bytes.length != link.size() || !ManifestRecord.sha256(bytes).equals(link.sha256())) {
            throw new CorruptArchiveException("archive segment " + where + " (indexes " + link.firstIndex() + ".."
                    + link.lastIndex() + ") does not match the SHA-256 in its manifest link: it was altered or replaced");
        }
        List<LogEntry> entries = ArchiveSegment.decode(bytes, where);
        if (entries.get(0).index() != link.firstIndex() || entries.get(entries.size() - 1).index() != link.lastIndex()) {
            throw new CorruptArchiveException("archive segment " + where + " holds other indexes than its manifest link says");
        }
        return entries;
    }
}
