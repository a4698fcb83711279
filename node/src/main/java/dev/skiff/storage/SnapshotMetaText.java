package dev.skiff.storage;

import dev.skiff.raft.ConfigurationCodec;
import dev.skiff.raft.CorruptLogException;
import dev.skiff.raft.SnapshotMeta;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The text form of a {@link SnapshotMeta} that snapshot stores keep next to the data (the file
 * store's {@code meta} file, the S3 store's {@code manifest} object), checksummed so that a
 * damaged one is refused, never half-read:
 *
 * <pre>
 *   &lt;format line&gt;                              which store wrote it, and its version
 *   id, index, term, configurationIndex, size   decimal, one {@code key=value} per line
 *   configuration                               base64 of {@link ConfigurationCodec}
 *   checksum                                    "crc32c:" + hex of the data's CRC32C
 *   crc32c=&lt;hex&gt;                                CRC32C of all the lines before it (last line)
 * </pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class SnapshotMetaText {

    private static final String CRC_PREFIX = "crc32c=";

    private SnapshotMetaText() {
    }

    /** The text of {@code meta} under {@code formatLine}, checksum line last, as UTF-8. */
    public static byte[] encode(String formatLine, SnapshotMeta meta) {
        String body = formatLine + "\n"
                + "id=" + meta.id() + "\n"
                + "index=" + meta.index() + "\n"
                + "term=" + meta.term() + "\n"
                + "configurationIndex=" + meta.configurationIndex() + "\n"
                + "configuration=" + Base64.getEncoder().encodeToString(ConfigurationCodec.encode(meta.configuration())) + "\n"
                + "size=" + meta.size() + "\n"
                + "checksum=" + meta.checksum() + "\n";
        return (body + CRC_PREFIX + crc(body) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Verifies and decodes what {@link #encode} wrote.
     *
     * @param formatLine the first line the store writes
     * @param what       what the text is, for messages ("snapshot metadata", "snapshot manifest")
     * @param corruption names the file or object and the offset of a problem
     * @throws CorruptLogException if the checksum, the format line or a field is wrong
     */
    public static SnapshotMeta decode(byte[] bytes, String formatLine, String what,
                                      VerifyingSnapshotStream.Corruption corruption) throws CorruptLogException {
        String text = new String(bytes, StandardCharsets.UTF_8);
        int lastLine = text.lastIndexOf(CRC_PREFIX);
        if (lastLine < 0 || !text.endsWith("\n")) {
            throw corruption.at(bytes.length, what + " has no checksum line");
        }
        String body = text.substring(0, lastLine);
        String stored = text.substring(lastLine + CRC_PREFIX.length(), text.length() - 1);
        if (!stored.equals(crc(body))) {
            throw corruption.at(lastLine, what + " checksum mismatch");
        }
        if (!text.startsWith(formatLine + "\n")) {
            throw corruption.at(0, "unknown " + what + " format");
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
            throw corruption.at(0, what + " is incomplete or malformed: " + e);
        }
    }

    private static String crc(String body) {
        CRC32C crc = new CRC32C();
        crc.update(body.getBytes(StandardCharsets.UTF_8));
        return Long.toHexString(crc.getValue());
    }
}
