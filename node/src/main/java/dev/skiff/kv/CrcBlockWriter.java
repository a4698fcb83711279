package dev.skiff.kv;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Writes a byte stream as a sequence of checksummed blocks, the framing read back by
 * {@link CrcBlockReader}. Memory is one block buffer, whatever the stream's length.
 *
 * <p>Block format (big-endian): {@code u32 payloadLength} (1..{@value #MAX_PAYLOAD}), the
 * payload, then {@code u32 CRC32C} over {@code u64 blockNumber, u32 payloadLength, payload}.
 * Blocks are numbered from 0, so a block that is dropped, repeated or moved fails its check.
 * {@link #finish()} writes the end block: payload length 0, with its CRC, so that a stream cut at
 * a block boundary is still detected as truncated.
 *
 * <p>Not thread-safe. Never closes the underlying stream.
 */
final class CrcBlockWriter {

    /** Large enough to amortise the 8 bytes of framing, small enough to verify before use. */
    static final int MAX_PAYLOAD = 64 * 1024;

    private final OutputStream out;
    private final byte[] block = new byte[4 + MAX_PAYLOAD + 4];
    private final ByteBuffer payload = ByteBuffer.wrap(block, 4, MAX_PAYLOAD).slice();
    private final ByteBuffer scratch = ByteBuffer.allocate(8);
    private final CRC32C crc = new CRC32C();
    private long blockNumber;

    CrcBlockWriter(OutputStream out) {
        this.out = out;
    }

    void writeShort(int v) throws IOException {
        if (payload.remaining() >= 2) {
            payload.putShort((short) v);
        } else {
            write(scratch.putShort(0, (short) v).array(), 0, 2);
        }
    }

    void writeInt(int v) throws IOException {
        if (payload.remaining() >= 4) {
            payload.putInt(v);
        } else {
            write(scratch.putInt(0, v).array(), 0, 4);
        }
    }

    void writeLong(long v) throws IOException {
        if (payload.remaining() >= 8) {
            payload.putLong(v);
        } else {
            write(scratch.putLong(0, v).array(), 0, 8);
        }
    }

    /** Writes bytes, across as many blocks as they need. */
    void write(byte[] bytes, int off, int len) throws IOException {
        int end = off + len;
        while (off < end) {
            if (!payload.hasRemaining()) {
                flushBlock();
            }
            int n = Math.min(payload.remaining(), end - off);
            payload.put(bytes, off, n);
            off += n;
        }
    }

    /** Writes what is buffered, then the end block. Write nothing after this. */
    void finish() throws IOException {
        if (payload.position() > 0) {
            flushBlock();
        }
        flushBlock();
    }

    private void flushBlock() throws IOException {
        int length = payload.position();
        ByteBuffer frame = ByteBuffer.wrap(block);
        frame.putInt(0, length);
        frame.putInt(4 + length, checksum(crc, blockNumber, block, length));
        out.write(block, 0, 4 + length + 4);
        payload.clear();
        blockNumber++;
    }

    /**
     * CRC32C over the block number, then {@code block[0..4+length)}: the length field and the
     * payload.
     */
    static int checksum(CRC32C crc, long blockNumber, byte[] block, int length) {
        crc.reset();
        for (int shift = 56; shift >= 0; shift -= 8) {
            crc.update((int) (blockNumber >>> shift));
        }
        crc.update(block, 0, 4 + length);
        return (int) crc.getValue();
    }
}
