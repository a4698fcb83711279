package dev.skiff.storage.s3;

import dev.skiff.raft.ConfigurationCodec;
import dev.skiff.raft.CorruptLogException;
import dev.skiff.raft.SnapshotMeta;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The manifest object of an S3 snapshot: its {@link SnapshotMeta}, written after the data and
 * so the mark of a complete snapshot. The same text form as the file store's {@code meta}:
 *
 * <pre>
 *   skiff-s3-snapshot-manifest=1
 *   id, index, term, configurationIndex, size   decimal
 *   configuration                               base64 of {@link ConfigurationCodec}
 *   checksum                                    "crc32c:" + hex of the data's CRC32C
 *   crc32c=&lt;hex&gt;                                CRC32C of all the lines before it (last line)
 * </pre>
 *
 * <p>Stateless and thread-safe.
 */
final class SnapshotManifest {

    private static final String FORMAT_LINE = "skiff-s3-snapshot-manifest=1";
    private static final String CRC_PREFIX = "crc32c=";

    private SnapshotManifest() {
    }

    static byte[] encode(SnapshotMeta m) {
        String body = FORMAT_LINE + "\n"
                + "id=" + m.id() + "\n"
                + "index=" + m.index() + "\n"
                + "term=" + m.term() + "\n"
                + "configurationIndex=" + m.configurationIndex() + "\n"
                + "configuration=" + Base64.getEncoder().encodeToString(ConfigurationCodec.encode(m.configuration())) + "\n"
                + "size=" + m.size() + "\n"
                + "checksum=" + m.checksum() + "\n";
        return (body + CRC_PREFIX + crc(body) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Decodes and verifies a manifest.
     *
     * @param where the object's {@code s3://} name, for messages
     * @throws CorruptLogException naming the object and the offset if it is damaged
     */
    static SnapshotMeta decode(byte[] bytes, String where) throws CorruptLogException {
        String text = new String(bytes, StandardCharsets.UTF_8);
        int lastLine = text.lastIndexOf(CRC_PREFIX);
        if (lastLine < 0 || !text.endsWith("\n")) {
            throw corrupt(where, bytes.length, "snapshot manifest has no checksum line");
        }
        String body = text.substring(0, lastLine);
        String stored = text.substring(lastLine + CRC_PREFIX.length(), text.length() - 1);
        if (!stored.equals(crc(body))) {
            throw corrupt(where, lastLine, "snapshot manifest checksum mismatch");
        }
        if (!text.startsWith(FORMAT_LINE + "\n")) {
            throw corrupt(where, 0, "unknown snapshot manifest format");
        }
        Map<String, String> fields = new HashMap<>();
        for (String line : body.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                fields.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        try {
            return new SnapshotMeta(fields.get("id"), Long.parseLong(fields.get("index")),
                    Long.parseLong(fields.get("term")),
                    ConfigurationCodec.decode(Base64.getDecoder().decode(fields.get("configuration"))),
                    Long.parseLong(fields.get("configurationIndex")), Long.parseLong(fields.get("size")),
                    fields.get("checksum"));
        } catch (RuntimeException e) {
            throw corrupt(where, 0, "snapshot manifest is incomplete or malformed: " + e);
        }
    }

    private static String crc(String body) {
        CRC32C crc = new CRC32C();
        crc.update(body.getBytes(StandardCharsets.UTF_8));
        return Long.toHexString(crc.getValue());
    }

    static CorruptLogException corrupt(String where, long offset, String what) {
        return new CorruptLogException(where + " at offset " + offset + ": " + what
                + "; delete this snapshot's objects or restore from another snapshot");
    }
}
