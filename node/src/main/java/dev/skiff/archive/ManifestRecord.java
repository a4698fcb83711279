package dev.skiff.archive;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skiff.raft.LogEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One link of the archive's manifest chain: the object {@code archive/manifest/<seq>.json},
 * created once and never replaced, describing one segment. Links chain by hash ({@code prev} is
 * the SHA-256 of the previous link's bytes), so a link that is missing, altered or from another
 * cluster breaks the chain where it is; each names its segment's SHA-256, so an altered segment
 * is caught too.
 *
 * @param version        1
 * @param seq            0, 1, 2, …: the link's place in the chain
 * @param prev           SHA-256 (hex) of link {@code seq - 1}'s bytes; empty for link 0
 * @param firstIndex     the segment's first log index
 * @param lastIndex      its last log index
 * @param lastTerm       the term of its last entry
 * @param lastEntrySha256 SHA-256 of the last entry (index, term, type, data): a node resuming the
 *                       archive checks its own log against it, so another cluster's log is never
 *                       appended to this chain
 * @param minTime        the smallest commit stamp (epoch ms) in the segment, or null if none is stamped
 * @param maxTime        the largest, or null
 * @param segment        the segment's key
 * @param size           its length in bytes
 * @param sha256         its SHA-256 (hex)
 * @param baseSnapshotIndex when this link does not continue the previous one (the first link of
 *                       an archive started on a compacted log, or after a gap the log no longer
 *                       held), the index of the snapshot it continues from: a restore needs a
 *                       snapshot at or after it; else null
 * @param writer         the id of the node that wrote it
 * @param writtenAt      when (epoch ms, the writer's clock)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ManifestRecord(int version, long seq, String prev, long firstIndex, long lastIndex, long lastTerm,
                             String lastEntrySha256, Long minTime, Long maxTime, String segment, long size, String sha256,
                             Long baseSnapshotIndex, String writer, long writtenAt) {

    /** Where the archive keeps its objects, under the archive's root. */
    public static final String MANIFEST_PREFIX = "archive/manifest/";
    /** Segments are under this prefix. */
    public static final String SEGMENT_PREFIX = "archive/segments/";

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** The key of link {@code seq}. */
    public static String key(long seq) {
        return MANIFEST_PREFIX + String.format("%020d", seq) + ".json";
    }

    /** The seq in a manifest key, or -1 if the key is not a link's. */
    public static long seqOf(String key) {
        if (!key.startsWith(MANIFEST_PREFIX) || !key.endsWith(".json")) {
            return -1;
        }
        String digits = key.substring(MANIFEST_PREFIX.length(), key.length() - 5);
        if (digits.length() != 20 || !digits.chars().allMatch(Character::isDigit)) {
            return -1;
        }
        return Long.parseLong(digits);
    }

    /** The stored bytes. */
    public byte[] toBytes() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Parses a link.
     *
     * @throws CorruptArchiveException naming {@code where} if it is not one
     */
    public static ManifestRecord parse(byte[] bytes, String where) {
        try {
            ManifestRecord r = JSON.readValue(bytes, ManifestRecord.class);
            if (r.version != 1 || r.segment == null || r.sha256 == null || r.prev == null || r.firstIndex < 1
                    || r.lastIndex < r.firstIndex) {
                throw new CorruptArchiveException("archive manifest " + where + " is not a valid version-1 manifest link");
            }
            return r;
        } catch (IOException e) {
            throw new CorruptArchiveException("archive manifest " + where + " is not valid JSON: " + e.getMessage());
        }
    }

    /** SHA-256 of {@code bytes}, hex. */
    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    /** SHA-256 of an entry's index, term, type and data, hex. */
    public static String sha256(LogEntry entry) {
        MessageDigest d = digest();
        d.update(ByteBuffer.allocate(17).putLong(entry.index()).putLong(entry.term()).put((byte) entry.type().code()).array());
        d.update(entry.data());
        return HexFormat.of().formatHex(d.digest());
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
