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
 * <p>A closed segment ends exactly after its last record. An in-progress segment may be
 * followed by zeros (space written ahead, see below) and, after a crash, may end in a torn
 * record; see {@link SegmentScanner} for how recovery tells that apart from corruption. No
 * record starts with four zero bytes followed by a zero checksum, because the CRC32C of a record
 * with index 0 and type 0 is not zero and no record has index 0, so zeros mark the end.
 *
 * <p><b>Preallocation.</b> When a small batch would write past the end of the file, the same
 * write also appends {@link #PREALLOCATE_BYTES} of zeros. The appends that follow overwrite
 * allocated blocks without changing the file's length, so their {@code fdatasync} does not
 * have to commit file-system metadata: on the disks measured that makes a batch of one about
 * 1.3 times faster. Large batches are limited by bandwidth, not by the sync, so they grow the
 * file without zeros. Closing a segment cuts the zeros off.
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
    /** Zeros written ahead of small batches: one metadata sync per MiB instead of per batch. */
    static final int PREALLOCATE_BYTES = 1 << 20;
    /** Batches from this size on are bandwidth-bound and get no zeros ahead. */
    static final int PREALLOCATE_MAX_BATCH = 256 << 10;

    private final CRC32C crc = new CRC32C();
    private ByteBuffer buffer = ByteBuffer.allocateDirect(64 << 10);
    /** How long the last {@link #append}'s fsync took (a field, so that timing allocates nothing). */
    private long lastFsyncNanos;

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
     * @param fileEnd where the file (data and zeros written ahead) ends now
     * @param offsets receives the file offset of each record, in order
     * @return where the file ends after the write: after the last record, or after the zeros
     *         written ahead of it
     */
    long append(FileChannel channel, long position, long fileEnd, List<LogEntry> entries, long[] offsets)
            throws IOException {
        long total = 0;
        for (LogEntry e : entries) {
            total += recordBytes(e.data().length);
        }
        if (total > Integer.MAX_VALUE - PREALLOCATE_BYTES) {
            throw new IllegalArgumentException("batch of " + total + " bytes is too large for one write; split it");
        }
        int zeros = position + total > fileEnd && total < PREALLOCATE_MAX_BATCH ? PREALLOCATE_BYTES : 0;
        ByteBuffer buf = buffer((int) total + zeros);
        int i = 0;
        for (LogEntry e : entries) {
            offsets[i++] = position + buf.position();
            encode(buf, e);
        }
        if (zeros > 0) {
            buf.put(ZEROS.duplicate());
        }
        buf.flip();
        writeFully(channel, buf, position);
        long fsyncStarted = System.nanoTime();
        channel.force(false);
        lastFsyncNanos = System.nanoTime() - fsyncStarted;
        return Math.max(fileEnd, position + total + zeros);
    }

    /** How long the fsync of the last successful {@link #append} took, in nanoseconds. */
    long lastFsyncNanos() {
        return lastFsyncNanos;
    }

    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(PREALLOCATE_BYTES).asReadOnlyBuffer();

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
