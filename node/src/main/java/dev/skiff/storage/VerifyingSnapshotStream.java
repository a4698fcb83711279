package dev.skiff.storage;

import dev.skiff.raft.CorruptLogException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32C;

/**
 * A stored snapshot's data, checked against the size and CRC32C its metadata records while it
 * is read: data that is short, long or altered fails with a {@link CorruptLogException} before
 * the last byte is handed out, so a reader that stops after exactly {@code size} bytes is
 * protected too. Shared by every {@link dev.skiff.raft.SnapshotStore} (disk, S3).
 *
 * <p>Not thread-safe: one reader.
 */
public class VerifyingSnapshotStream extends InputStream {

    /** Builds the store's exception for a problem at an offset (naming its file or object). */
    @FunctionalInterface
    public interface Corruption {
        /** @return the exception to throw for {@code problem} at byte {@code offset} */
        CorruptLogException at(long offset, String problem);
    }

    private final InputStream in;
    private final long size;
    private final String expected;
    private final String recordName;
    private final Corruption corruption;
    private final CRC32C crc = new CRC32C();
    private long read;
    private boolean verified;

    /**
     * @param in         the raw data
     * @param size       the length the metadata records
     * @param expected   the checksum the metadata records ({@code "crc32c:" + hex})
     * @param recordName what the metadata is called in messages ("metadata", "manifest")
     * @param corruption builds the exception, naming the file or object
     */
    public VerifyingSnapshotStream(InputStream in, long size, String expected, String recordName, Corruption corruption) {
        this.in = in;
        this.size = size;
        this.expected = expected;
        this.recordName = recordName;
        this.corruption = corruption;
    }

    /** Bytes handed out so far. */
    protected long bytesRead() {
        return read;
    }

    /** The length the metadata records. */
    protected long size() {
        return size;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        int n = in.read(b, off, len);
        if (n < 0) {
            if (read != size) {
                throw corruption.at(read, "snapshot data ends after " + read + " bytes, its " + recordName + " says " + size);
            }
            verify();
            return -1;
        }
        crc.update(b, off, n);
        read += n;
        if (read > size) {
            throw corruption.at(size, "snapshot data is longer than the " + size + " bytes its " + recordName + " says");
        }
        if (read == size) {
            verify();
        }
        return n;
    }

    private void verify() throws IOException {
        if (verified) {
            return;
        }
        String actual = "crc32c:" + Long.toHexString(crc.getValue());
        if (!actual.equals(expected)) {
            throw corruption.at(0, "snapshot data checksum mismatch over " + size + " bytes (" + actual + ", "
                    + recordName + " says " + expected + ")");
        }
        verified = true;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
