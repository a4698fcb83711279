package dev.skiff.wal;

import dev.skiff.raft.LogEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Encodes and writes segment files: the only place that knows their layout.
 *
 * <pre>
 * Segment file (all integers big-endian):
 *   header, 24 bytes:
 *     0   8  magic "SKIFFWAL"
 *     8   4  format version, 1
 *     12  8  index of the segment's first entry (equal to the one in the file name)
 *     20  4  CRC32C of bytes 0..20
 *   then records back to back, one per log entry, in index order, no gaps:
 *     0   4  length   payload length n in bytes, 0 ≤ n ≤ {@link #MAX_PAYLOAD}
 *     4   4  crc      CRC32C of bytes 0..4 (length) and 8..25+n (index to end of payload)
 *     8   8  index    the entry's log index: the previous record's + 1
 *     16  8  term
 *     24  1  type     {@link dev.skiff.raft.LogType#code()}
 *     25  n  payload
 * </pre>
 *
 * <p>A closed segment ends exactly after its last record. An in-progress segment may end in a
 * torn record after a crash; see {@link SegmentScanner} for how recovery tells that apart from
 * corruption.
 *
 * <p>Not thread-safe: owned by the log's single writer. One writer holds one reusable direct
 * buffer so that a batch is encoded without allocation per record and written with one system
 * call (the channel writes a direct buffer without copying it).
 */
final class SegmentWriter {

    static final byte[] MAGIC = "SKIFFWAL".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    static final int HEADER_BYTES = 24;
    static final int RECORD_HEADER_BYTES = 25;
    /**
     * Largest payload of one entry: 64 MiB. Raft entries are commands, far smaller; the limit
     * lets recovery recognise a garbage length instead of trusting it.
     */
    static final int MAX_PAYLOAD = 64 << 20;

    private final CRC32C crc = new CRC32C();
    private ByteBuffer buffer = ByteBuffer.allocateDirect(64 << 10);

    /** The bytes a record of this payload length takes on disk. */
    static long recordBytes(int payloadLength) {
        return RECORD_HEADER_BYTES + (long) payloadLength;
    }

    /** Writes and forces a new segment file's header at position 0. */
    void writeHeader(FileChannel channel, long firstIndex) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        header.put(MAGIC).putInt(VERSION).putLong(firstIndex);
        crc.reset();
        crc.update(header.array(), 0, 20);
        header.putInt((int) crc.getValue()).flip();
        writeFully(channel, header, 0);
        channel.force(false);
    }

    /**
     * Writes the records of {@code entries} at {@code position} and forces them to disk with one
     * fsync ({@code force(false)}: the data and the file length, not the access times).
     *
     * @param offsets receives the file offset of each record, in order
     * @return the position after the last record
     */
    long append(FileChannel channel, long position, List<LogEntry> entries, long[] offsets) throws IOException {
        long total = 0;
        for (LogEntry e : entries) {
            total += recordBytes(e.data().length);
        }
        if (total > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("batch of " + total + " bytes is too large for one write; split it");
        }
        ByteBuffer buf = buffer((int) total);
        int i = 0;
        for (LogEntry e : entries) {
            offsets[i++] = position + buf.position();
            encode(buf, e);
        }
        buf.flip();
        writeFully(channel, buf, position);
        channel.force(false);
        return position + total;
    }

    private void encode(ByteBuffer buf, LogEntry e) {
        int start = buf.position();
        byte[] data = e.data();
        buf.putInt(data.length).putInt(0).putLong(e.index()).putLong(e.term()).put((byte) e.type().code()).put(data);
        int end = buf.position();
        crc.reset();
        buf.limit(start + 4).position(start);
        crc.update(buf);
        buf.limit(end).position(start + 8);
        crc.update(buf);
        buf.limit(buf.capacity()).position(end);
        buf.putInt(start + 4, (int) crc.getValue());
    }

    private ByteBuffer buffer(int bytes) {
        if (buffer.capacity() < bytes) {
            int capacity = Integer.highestOneBit(bytes - 1) << 1;
            buffer = ByteBuffer.allocateDirect(capacity > 0 ? capacity : bytes).order(ByteOrder.BIG_ENDIAN);
        }
        buffer.clear();
        return buffer;
    }

    static void writeFully(FileChannel channel, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            pos += channel.write(buf, pos);
        }
    }
}
