package dev.skiff.archive;

import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The binary form of an archived run of consecutive committed log entries (big-endian):
 * <pre>
 *   u32 magic = "SKAR"   u8 version = 1
 *   u64 firstIndex       u32 count
 *   count × { u64 index, u64 term, u8 type code, u32 length, length bytes }
 *   u32 CRC32C of everything before it
 * </pre>
 * The manifest record that names a segment also holds its SHA-256, so a segment that was
 * replaced by another well-formed one is caught too. Stateless.
 */
public final class ArchiveSegment {

    private static final int MAGIC = 0x534B4152; // "SKAR"
    private static final int VERSION = 1;

    private ArchiveSegment() {
    }

    /** Encodes consecutive entries (at least one). */
    public static byte[] encode(List<LogEntry> entries) {
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("an archive segment holds at least one entry");
        }
        long size = 4 + 1 + 8 + 4 + 4;
        for (LogEntry e : entries) {
            size += 8 + 8 + 1 + 4 + e.data().length;
        }
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(size));
        out.putInt(MAGIC).put((byte) VERSION).putLong(entries.get(0).index()).putInt(entries.size());
        long expected = entries.get(0).index();
        for (LogEntry e : entries) {
            if (e.index() != expected++) {
                throw new IllegalArgumentException("archive segment entries are not consecutive at index " + e.index());
            }
            out.putLong(e.index()).putLong(e.term()).put((byte) e.type().code()).putInt(e.data().length).put(e.data());
        }
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, out.position());
        out.putInt((int) crc.getValue());
        return out.array();
    }

    /**
     * Decodes a segment.
     *
     * @param where the object's address, named in the message of a failure
     * @throws CorruptArchiveException naming {@code where} and what is wrong
     */
    public static List<LogEntry> decode(byte[] data, String where) {
        try {
            if (data.length < 21) {
                throw new CorruptArchiveException(where + " is not an archive segment (" + data.length + " bytes)");
            }
            CRC32C crc = new CRC32C();
            crc.update(data, 0, data.length - 4);
            ByteBuffer in = ByteBuffer.wrap(data);
            if (in.getInt(data.length - 4) != (int) crc.getValue()) {
                throw new CorruptArchiveException("archive segment " + where + " fails its CRC32C checksum: it was altered or "
                        + "truncated");
            }
            if (in.getInt() != MAGIC || in.get() != VERSION) {
                throw new CorruptArchiveException(where + " is not a version-" + VERSION + " archive segment");
            }
            long first = in.getLong();
            int count = in.getInt();
            List<LogEntry> entries = new ArrayList<>(Math.min(count, 1 << 16));
            for (int i = 0; i < count; i++) {
                long index = in.getLong();
                long term = in.getLong();
                LogType type = LogType.ofCode(Byte.toUnsignedInt(in.get()));
                int length = in.getInt();
                if (index != first + i || length < 0 || length > in.remaining() - 4) {
                    throw new CorruptArchiveException("archive segment " + where + ": bad entry " + i + " (index " + index
                            + ", length " + length + ")");
                }
                byte[] payload = new byte[length];
                in.get(payload);
                entries.add(new LogEntry(index, term, type, payload));
            }
            if (in.remaining() != 4) {
                throw new CorruptArchiveException("archive segment " + where + ": " + (in.remaining() - 4) + " trailing bytes");
            }
            return entries;
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new CorruptArchiveException("archive segment " + where + " is malformed: " + e.getMessage());
        }
    }
}
