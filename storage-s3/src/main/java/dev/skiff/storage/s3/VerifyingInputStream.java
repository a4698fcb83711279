package dev.skiff.storage.s3;

import dev.skiff.storage.VerifyingSnapshotStream;
import java.io.IOException;
import java.io.InputStream;
import software.amazon.awssdk.http.Abortable;

/**
 * A snapshot's data as it is read from S3, checked against its manifest by
 * {@link VerifyingSnapshotStream}; closing it early aborts the HTTP connection instead of
 * draining the rest of a large object.
 */
final class VerifyingInputStream extends VerifyingSnapshotStream {

    private final InputStream body;

    /**
     * @param where    the object's {@code s3://} name
     * @param size     the length the manifest records
     * @param expected the checksum the manifest records ({@code "crc32c:" + hex})
     */
    VerifyingInputStream(InputStream body, String where, long size, String expected) {
        super(body, size, expected, "manifest", (offset, problem) -> SnapshotManifest.corrupt(where, offset, problem));
        this.body = body;
    }

    @Override
    public void close() throws IOException {
        if (bytesRead() < size() && body instanceof Abortable connection) {
            connection.abort();
        }
        super.close();
    }
}
