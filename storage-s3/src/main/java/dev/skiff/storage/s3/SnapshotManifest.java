package dev.skiff.storage.s3;

import dev.skiff.raft.CorruptLogException;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.storage.SnapshotMetaText;

/**
 * The manifest object of an S3 snapshot: its {@link SnapshotMeta}, written after the data and
 * so the mark of a complete snapshot: {@link SnapshotMetaText} under the format line
 * {@code skiff-s3-snapshot-manifest=1}, the same text form as the file store's {@code meta}.
 *
 * <p>Stateless and thread-safe.
 */
final class SnapshotManifest {

    private static final String FORMAT_LINE = "skiff-s3-snapshot-manifest=1";

    private SnapshotManifest() {
    }

    static byte[] encode(SnapshotMeta m) {
        return SnapshotMetaText.encode(FORMAT_LINE, m);
    }

    /**
     * Decodes and verifies a manifest.
     *
     * @param where the object's {@code s3://} name, for messages
     * @throws CorruptLogException naming the object and the offset if it is damaged
     */
    static SnapshotMeta decode(byte[] bytes, String where) throws CorruptLogException {
        return SnapshotMetaText.decode(bytes, FORMAT_LINE, "snapshot manifest", (offset, problem) -> corrupt(where, offset, problem));
    }

    static CorruptLogException corrupt(String where, long offset, String what) {
        return new CorruptLogException(where + " at offset " + offset + ": " + what
                + "; delete this snapshot's objects or restore from another snapshot");
    }
}
