package dev.skiff.wal;

import static dev.skiff.wal.SegmentWriter.HEADER_BYTES;
import static dev.skiff.wal.SegmentWriter.MAGIC;
import static dev.skiff.wal.SegmentWriter.MAX_PAYLOAD;
import static dev.skiff.wal.SegmentWriter.RECORD_HEADER_BYTES;
import static dev.skiff.wal.SegmentWriter.VERSION;

import dev.skiff.raft.CorruptLogException;
import dev.skiff.raft.LogType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * Reads a whole segment file at startup, checks every record and returns where each one
 * starts: the offset index the log serves reads from.
 *
 * <p><b>Torn tail or corruption.</b> A process killed in the middle of a write leaves a
 * prefix of its last batch: the in-progress segment then ends in a cut-off or half-written
 * record. Such a record is dropped when <em>nothing intact follows it</em>: no complete record
 * with a valid checksum and a later index starts anywhere after it. Anything else (a bad
 * record followed by a good one, a bad record in a closed segment, a valid record with the
 * wrong index, a closed segment shorter than its name says) cannot come from a crash during an
 * append, because each batch is forced before the next is written and closed segments are
 * forced before they are renamed: that is corruption, and the scan throws
 * {@link CorruptLogException} naming the file and offset. The search for a later intact record
 * costs one pass over the rest of the file, and only when the tail is damaged.
 *
 * <p>Stateless between calls; not thread-safe (one instance per scanning thread).
 */
final class SegmentScanner {

    /**
     * What a scan found.
     *
     * @param offsets    start of each intact record (only the first {@code count} are used)
     * @param count      number of intact records
     * @param end        offset just after the last intact record (or the header); zeros written
     *                   ahead may follow it up to the file's length
     * @param tornAt     offset where a torn tail starts, or -1 if the file is intact
     * @param tornReason what was wrong at {@code tornAt}
     */
    record Result(int[] offsets, int count, long end, long tornAt, String tornReason) {
        boolean torn() {
            return tornAt >= 0;
        }

        /** True if not even the header survived: the file holds nothing. */
        boolean headerTorn() {
            return tornAt == 0;
        }
    }

    private final CRC32C crc = new CRC32C();

    /**
     * Scans {@code file}.
     *
     * @param mayBeTorn true for the last, in-progress segment: a torn tail is reported, not thrown
     * @throws CorruptLogException on corruption (see the class comment)
     */
    Result scan(Path file, SegmentName name, boolean mayBeTorn) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) {
                throw Corruption.at(file, Integer.MAX_VALUE, "segment is larger than 2 GiB, which the log never writes");
            }
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            return scan(file, name, mayBeTorn, map, (int) size);
        }
    }

    private Result scan(Path file, SegmentName name, boolean mayBeTorn, ByteBuffer map, int size)
            throws CorruptLogException {
        String headerProblem = checkHeader(map, size, name.firstIndex());
        if (headerProblem != null) {
            if (mayBeTorn && !intactRecordFrom(map, size, 0, name.firstIndex())) {
                return new Result(new int[0], 0, 0, 0, headerProblem);
            }
            throw Corruption.at(file, 0, headerProblem);
        }
        int[] offsets = new int[initialCapacity(size)];
        int count = 0;
        long expected = name.firstIndex();
        int pos = HEADER_BYTES;
        while (pos < size) {
            String problem = null;
            boolean mayBeTornRecord = true;
            int remaining = size - pos;
            int length = remaining >= 4 ? map.getInt(pos) : -1;
            if (remaining < RECORD_HEADER_BYTES) {
                problem = "record header cut off (" + remaining + " of " + RECORD_HEADER_BYTES + " bytes)";
            } else if (length < 0 || length > MAX_PAYLOAD) {
                problem = "impossible record length " + Integer.toUnsignedString(length);
            } else if ((long) RECORD_HEADER_BYTES + length > remaining) {
                problem = "record of " + (RECORD_HEADER_BYTES + length) + " bytes runs past the end of the file ("
                        + remaining + " bytes left)";
            } else if (!checksumMatches(map, pos, length)) {
                problem = "record checksum mismatch";
            } else if (map.getLong(pos + 8) != expected) {
                problem = "record has index " + map.getLong(pos + 8) + " where " + expected + " was expected";
                mayBeTornRecord = false;
            } else if (map.getLong(pos + 16) < 1 || !knownType(map.get(pos + 24))) {
                problem = "record " + expected + " has term " + map.getLong(pos + 16) + " and type code "
                        + map.get(pos + 24) + ", which the log never writes";
                mayBeTornRecord = false;
            }
            if (problem != null) {
                if (mayBeTorn && allZero(map, pos, size)) {
                    // Space written ahead and never used: the clean end of the log.
                    break;
                }
                if (mayBeTorn && mayBeTornRecord && !intactRecordFrom(map, size, pos + 1, expected)) {
                    return new Result(offsets, count, pos, pos, problem);
                }
                throw Corruption.at(file, pos, problem);
            }
            if (count == offsets.length) {
                offsets = Arrays.copyOf(offsets, offsets.length * 2);
            }
            offsets[count++] = pos;
            expected++;
            pos += RECORD_HEADER_BYTES + length;
        }
        if (!name.isInProgress() && expected - 1 != name.lastIndex()) {
            throw Corruption.at(file, pos, "the file name says it holds entries " + name.firstIndex() + "-"
                    + name.lastIndex() + " but it ends after entry " + (expected - 1));
        }
        return new Result(offsets, count, pos, -1, null);
    }

    private String checkHeader(ByteBuffer map, int size, long firstIndex) {
        if (size < HEADER_BYTES) {
            return "segment header cut off (" + size + " of " + HEADER_BYTES + " bytes)";
        }
        crc.reset();
        map.limit(20).position(0);
        crc.update(map);
        map.limit(map.capacity()).position(0);
        if ((int) crc.getValue() != map.getInt(20)) {
            return "segment header checksum mismatch";
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (map.get(i) != MAGIC[i]) {
                return "not a Skiff log segment (bad magic)";
            }
        }
        if (map.getInt(8) != VERSION) {
            return "unsupported segment format version " + map.getInt(8) + " (this build reads " + VERSION + ")";
        }
        if (map.getLong(12) != firstIndex) {
            return "header says the segment starts at index " + map.getLong(12) + ", its name says " + firstIndex;
        }
        return null;
    }

    private static boolean allZero(ByteBuffer map, int from, int size) {
        int p = from;
        for (; p + Long.BYTES <= size; p += Long.BYTES) {
            if (map.getLong(p) != 0) {
                return false;
            }
        }
        for (; p < size; p++) {
            if (map.get(p) != 0) {
                return false;
            }
        }
        return true;
    }

    /** True if an intact record with an index at or after {@code expected} starts at or after {@code from}. */
    private boolean intactRecordFrom(ByteBuffer map, int size, int from, long expected) {
        // An index can grow by at most one per record of at least RECORD_HEADER_BYTES: a cheap
        // filter that rejects almost every offset before the checksum is computed.
        long maxIndex = expected + size / RECORD_HEADER_BYTES;
        for (int p = Math.max(from, HEADER_BYTES); p + RECORD_HEADER_BYTES <= size; p++) {
            long index = map.getLong(p + 8);
            if (index < expected || index > maxIndex) {
                continue;
            }
            int length = map.getInt(p);
            if (length < 0 || length > size - p - RECORD_HEADER_BYTES) {
                continue;
            }
            if (checksumMatches(map, p, length)) {
                return true;
            }
        }
        return false;
    }

    private boolean checksumMatches(ByteBuffer map, int pos, int length) {
        crc.reset();
        map.limit(map.capacity()).position(pos);
        map.limit(pos + 4);
        crc.update(map);
        map.limit(map.capacity()).position(pos + 8);
        map.limit(pos + RECORD_HEADER_BYTES + length);
        crc.update(map);
        map.limit(map.capacity()).position(0);
        return (int) crc.getValue() == map.getInt(pos + 4);
    }

    private static boolean knownType(byte code) {
        try {
            LogType.ofCode(code);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static int initialCapacity(int size) {
        // Enough for records of ~128 bytes without growing; grows by doubling otherwise.
        return Math.max(16, size / 128);
    }
}
