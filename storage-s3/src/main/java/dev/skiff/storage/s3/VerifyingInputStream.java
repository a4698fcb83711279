package dev.skiff.storage.s3;

import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32C;
import software.amazon.awssdk.http.Abortable;

/**
 * A snapshot's data as it is read from S3, checked against the size and CRC32C its manifest
 * records: a short, long or altered object fails with a
 * {@link dev.skiff.raft.CorruptLogException} naming the object and the offset, before the last
 * byte is handed out, so a reader that stops after exactly {@code size} bytes is protected too.
 *
 * <p>Not thread-safe: one reader.
 */
final class VerifyingInputStream extends InputStream {

    private final InputStream in;
    private final String where;
    private final long size;
    private final String expected;
    private final CRC32C crc = new CRC32C();
    private long read;
    private boolean verified;

    /**
     * @param where    the object's {@code s3://} name
     * @param size     the length the manifest records
     * @param expected the checksum the manifest records ({@code "crc32c:" + hex})
     */
    VerifyingInputStream(InputStream in, String where, long size, String expected) {
        this.in = in;
        this.where = where;
        this.size = size;
        this.expected = expected;
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
                throw SnapshotManifest.corrupt(where, read, "snapshot data ends after " + read
                        + " bytes, its manifest says " + size);
            }
            verify();
            return -1;
        }
        crc.update(b, off, n);
        read += n;
        if (read > size) {
            throw SnapshotManifest.corrupt(where, size, "snapshot data is longer than the " + size
                    + " bytes its manifest says");
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
            throw SnapshotManifest.corrupt(where, 0, "snapshot data checksum mismatch over " + size + " bytes ("
                    + actual + ", manifest says " + expected + ")");
        }
        verified = true;
    }

    @Override
    public void close() throws IOException {
        if (read < size && in instanceof Abortable connection) {
            // Closing an HTTP body early would otherwise drain the rest of a large object.
            connection.abort();
        }
        in.close();
    }
}
