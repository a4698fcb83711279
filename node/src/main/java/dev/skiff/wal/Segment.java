package dev.skiff.wal;

import static dev.skiff.wal.SegmentWriter.MAX_PAYLOAD;
import static dev.skiff.wal.SegmentWriter.RECORD_HEADER_BYTES;

import dev.skiff.raft.CorruptLogException;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * One segment file in memory: its name, its open channel and the offset of each record.
 *
 * <p><b>Threading.</b> Mutated only by the log's writer. Readers use {@link #read} on other
 * threads, for indexes the log has published (see {@code SegmentedLogStore}); the volatile
 * fields make the offsets written before a publication visible to them.
 */
final class Segment {

    private final Path dir;
    private final long firstIndex;
    private volatile SegmentName name;
    private volatile FileChannel channel;
    /** Offsets of the records; only the first {@link #count} are meaningful. */
    private volatile int[] offsets;
    private int count;
    /** Offset after the last record: where the next one is written. */
    private long end;
    /** Length of the file: {@link #end} plus any zeros written ahead. Writer-only. */
    private long fileEnd;

    Segment(Path dir, SegmentName name, FileChannel channel, int[] offsets, int count, long end, long fileEnd) {
        this.dir = dir;
        this.firstIndex = name.firstIndex();
        this.name = name;
        this.channel = channel;
        this.offsets = offsets.length == 0 ? new int[16] : offsets;
        this.count = count;
        this.end = end;
        this.fileEnd = fileEnd;
    }

    long fileEnd() {
        return fileEnd;
    }

    /**
     * Cuts the file right after the last record (dropping zeros written ahead, or the remains of
     * a failed write) and forces the new length.
     */
    void trimFile() throws IOException {
        channel.truncate(end);
        channel.force(false);
        fileEnd = end;
    }

    long firstIndex() {
        return firstIndex;
    }

    /** Index of the last record, or {@code firstIndex - 1} if there is none. */
    long lastIndex() {
        return firstIndex + count - 1;
    }

    int count() {
        return count;
    }

    long end() {
        return end;
    }

    SegmentName name() {
        return name;
    }

    Path path() {
        return name.in(dir);
    }

    FileChannel channel() {
        return channel;
    }

    void renamed(SegmentName newName) {
        name = newName;
    }

    /** Records that records starting at {@code recordOffsets[0..n)} were written, ending at {@code newEnd}. */
    void appended(long[] recordOffsets, int n, long newEnd, long newFileEnd) {
        int[] o = offsets;
        if (count + n > o.length) {
            o = Arrays.copyOf(o, Math.max(count + n, o.length * 2));
        }
        for (int i = 0; i < n; i++) {
            o[count + i] = (int) recordOffsets[i];
        }
        offsets = o;
        count += n;
        end = newEnd;
        fileEnd = newFileEnd;
    }

    /** Forgets the records after {@code lastIndexKept}; returns the new end offset. The file is not touched. */
    long forgetAfter(long lastIndexKept) {
        int keep = (int) (lastIndexKept - firstIndex + 1);
        if (keep < count) {
            end = offsets[keep];
            count = keep;
        }
        return end;
    }

    /**
     * Reads and verifies the record of {@code index}, which must be a published index of this
     * segment.
     *
     * @throws CorruptLogException if the record fails its checksum or is not the entry asked for
     */
    LogEntry read(long index) throws IOException {
        long offset = offsets[(int) (index - firstIndex)];
        ByteBuffer header = ByteBuffer.allocate(RECORD_HEADER_BYTES);
        FileChannel ch = channel;
        readFully(ch, header, offset);
        int length = header.getInt(0);
        if (length < 0 || length > MAX_PAYLOAD) {
            throw Corruption.at(path(), offset, "impossible record length " + Integer.toUnsignedString(length));
        }
        byte[] data = new byte[length];
        readFully(ch, ByteBuffer.wrap(data), offset + RECORD_HEADER_BYTES);
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 0, 4);
        crc.update(header.array(), 8, RECORD_HEADER_BYTES - 8);
        crc.update(data);
        if ((int) crc.getValue() != header.getInt(4)) {
            throw Corruption.at(path(), offset, "record checksum mismatch on read of entry " + index);
        }
        long storedIndex = header.getLong(8);
        if (storedIndex != index) {
            throw Corruption.at(path(), offset, "record has index " + storedIndex + " where " + index + " was expected");
        }
        try {
            return new LogEntry(index, header.getLong(16), LogType.ofCode(header.get(24)), data);
        } catch (IllegalArgumentException e) {
            throw Corruption.at(path(), offset, "record " + index + " cannot be decoded: " + e.getMessage());
        }
    }

    private void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw Corruption.at(path(), position, "file ends at " + pos + " inside a record the log index points to");
            }
            pos += n;
        }
    }

    void close() throws IOException {
        channel.close();
    }
}
