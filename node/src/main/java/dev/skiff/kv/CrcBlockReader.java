package dev.skiff.kv;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Reads a stream written by {@link CrcBlockWriter}: optional raw header bytes first, then the
 * blocks, each verified before any of its bytes is handed out. Memory is one block buffer.
 * Every failure is a {@link CorruptSnapshotException} with the byte offset (in the whole stream)
 * where it was found.
 *
 * <p>Not thread-safe. Never closes the underlying stream.
 */
final class CrcBlockReader {

    private final InputStream in;
    private final byte[] block = new byte[4 + CrcBlockWriter.MAX_PAYLOAD + 4];
    private final ByteBuffer frame = ByteBuffer.wrap(block);
    private final ByteBuffer scratch = ByteBuffer.allocate(8);
    private final CRC32C crc = new CRC32C();
    /** The current block's payload; position = next byte to hand out. */
    private ByteBuffer payload = ByteBuffer.allocate(0);
    /** Bytes consumed from {@code in}. */
    private long consumed;
    /** The stream offset of the current payload's first byte. */
    private long payloadOffset;
    private long blockNumber;
    private boolean ended;

    CrcBlockReader(InputStream in) {
        this.in = in;
    }

    /**
     * Reads {@code n} bytes outside any block (a header before the first block).
     *
     * @param what names the bytes ("the header"), for the error message when the stream ends early
     */
    byte[] readRaw(int n, String what) throws IOException {
        byte[] bytes = new byte[n];
        readExactly(bytes, 0, n, what);
        return bytes;
    }

    /** The stream offset of the next payload byte, for error messages. */
    long position() {
        return payload.hasRemaining() ? payloadOffset + payload.position() : consumed;
    }

    int readUnsignedShort() throws IOException {
        if (payload.remaining() >= 2) {
            return Short.toUnsignedInt(payload.getShort());
        }
        readFully(scratch.array(), 0, 2);
        return Short.toUnsignedInt(scratch.getShort(0));
    }

    int readInt() throws IOException {
        if (payload.remaining() >= 4) {
            return payload.getInt();
        }
        readFully(scratch.array(), 0, 4);
        return scratch.getInt(0);
    }

    long readLong() throws IOException {
        if (payload.remaining() >= 8) {
            return payload.getLong();
        }
        readFully(scratch.array(), 0, 8);
        return scratch.getLong(0);
    }

    /** Reads payload bytes, across blocks as needed. */
    void readFully(byte[] bytes, int off, int len) throws IOException {
        int end = off + len;
        while (off < end) {
            if (!payload.hasRemaining()) {
                nextBlock();
            }
            int n = Math.min(payload.remaining(), end - off);
            payload.get(bytes, off, n);
            off += n;
        }
    }

    /**
     * Checks that all payload has been read, that the end block follows, and that nothing
     * follows the end block.
     */
    void expectEnd() throws IOException {
        if (payload.hasRemaining()) {
            throw new CorruptSnapshotException(position(), payload.remaining()
                    + " unread bytes where the data should end");
        }
        if (!ended) {
            long at = consumed;
            if (readBlock()) {
                throw new CorruptSnapshotException(at, "a block of data where the end block should be");
            }
        }
        if (in.read() != -1) {
            throw new CorruptSnapshotException(consumed, "bytes after the end block");
        }
    }

    /** Loads the next data block into {@code payload}. */
    private void nextBlock() throws IOException {
        long at = consumed;
        if (ended || !readBlock()) {
            throw new CorruptSnapshotException(at, "the data ends (end block) where more was expected");
        }
    }

    /**
     * Reads and verifies one block.
     *
     * @return true for a data block, false for the end block
     */
    private boolean readBlock() throws IOException {
        long blockOffset = consumed;
        readExactly(block, 0, 4, "the length field of block " + blockNumber);
        int length = frame.getInt(0);
        if (length < 0 || length > CrcBlockWriter.MAX_PAYLOAD) {
            throw new CorruptSnapshotException(blockOffset, "block " + blockNumber + " declares "
                    + Integer.toUnsignedString(length) + " bytes, over the block limit of "
                    + CrcBlockWriter.MAX_PAYLOAD);
        }
        readExactly(block, 4, length + 4, "block " + blockNumber);
        int stored = frame.getInt(4 + length);
        int computed = CrcBlockWriter.checksum(crc, blockNumber, block, length);
        if (stored != computed) {
            throw new CorruptSnapshotException(blockOffset, "checksum mismatch in block " + blockNumber + " ("
                    + length + " bytes): stored CRC32C 0x"
                    + Integer.toHexString(stored) + ", computed 0x" + Integer.toHexString(computed));
        }
        blockNumber++;
        if (length == 0) {
            ended = true;
            return false;
        }
        payload = ByteBuffer.wrap(block, 4, length).slice();
        payloadOffset = blockOffset + 4;
        return true;
    }

    private void readExactly(byte[] bytes, int off, int len, String what) throws IOException {
        int n = in.readNBytes(bytes, off, len);
        consumed += n;
        if (n < len) {
            throw CorruptSnapshotException.truncated(consumed, what + " (" + n + " of " + len + " bytes present)");
        }
    }
}
