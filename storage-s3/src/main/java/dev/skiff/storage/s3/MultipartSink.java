package dev.skiff.storage.s3;

import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.SnapshotSink;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/**
 * Streams one snapshot into S3 (see {@link S3SnapshotStore}). Bytes fill a part buffer; a full
 * part is uploaded on a background thread while the writer fills the other buffer, so at most
 * two parts are in memory. A snapshot smaller than one part is a single PutObject; larger ones
 * are a multipart upload, started when the first part is full. The CRC32C and size are computed
 * as the bytes pass.
 *
 * <p>{@link #commit()} completes the data object, checks its length, then puts the manifest;
 * {@link #cancel()} aborts the multipart upload. Not thread-safe: one writer.
 */
final class MultipartSink implements SnapshotSink {

    /** S3 allows at most this many parts in one upload. */
    static final int MAX_PARTS = 10_000;
    private static final Logger LOG = LoggerFactory.getLogger(MultipartSink.class);

    private final S3SnapshotStore store;
    private final S3Client s3;
    private final S3Location location;
    private final SnapshotMeta meta;
    private final String dataKey;
    private final String where;
    private final CRC32C crc = new CRC32C();
    private final List<CompletedPart> parts = new ArrayList<>();
    private final OutputStream out = new PartStream();
    /** The part being filled, or null. */
    private byte[] buffer;
    /** The part being uploaded, or null: not to be touched until its upload is over. */
    private byte[] uploading;
    /** A part buffer whose upload is over, for reuse, or null. */
    private byte[] free;
    private int fill;
    private long size;
    private String uploadId;
    private CompletableFuture<CompletedPart> inFlight;
    private boolean done;

    MultipartSink(S3SnapshotStore store, SnapshotMeta meta) {
        this.store = store;
        this.s3 = store.client();
        this.location = store.location();
        this.meta = meta;
        this.dataKey = store.key(meta.id(), S3SnapshotStore.DATA);
        this.where = location.describe(dataKey);
    }

    @Override
    public String id() {
        return meta.id();
    }

    @Override
    public OutputStream out() {
        return out;
    }

    /** The writer's stream: copies into the part buffer and hands full parts to the uploader. */
    private final class PartStream extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (done) {
                throw new IOException("snapshot " + meta.id() + " to " + where + " is already committed or cancelled");
            }
            crc.update(b, off, len);
            size += len;
            while (len > 0) {
                if (buffer == null) {
                    buffer = free != null ? free : new byte[location.partSize()];
                    free = null;
                }
                int n = Math.min(len, buffer.length - fill);
                System.arraycopy(b, off, buffer, fill, n);
                fill += n;
                off += n;
                len -= n;
                if (fill == buffer.length) {
                    uploadBuffer();
                }
            }
        }
    }

    /** Waits for the part in flight, then starts uploading the current buffer. */
    private void uploadBuffer() throws IOException {
        if (uploadId == null) {
            uploadId = startUpload();
        }
        awaitInFlight();
        int partNumber = parts.size() + 1;
        if (partNumber > MAX_PARTS) {
            throw new IOException("snapshot " + meta.id() + " to " + where + " needs more than " + MAX_PARTS
                    + " parts of " + location.partSize() + " bytes: raise partSizeMiB");
        }
        byte[] body = buffer;
        int length = fill;
        inFlight = CompletableFuture.supplyAsync(() -> uploadPart(partNumber, body, length), store.uploaders());
        uploading = body;
        buffer = null;
        fill = 0;
    }

    private String startUpload() throws IOException {
        CreateMultipartUploadRequest.Builder request = CreateMultipartUploadRequest.builder()
                .bucket(location.bucket()).key(dataKey).contentType("application/octet-stream");
        if (!location.sse().isEmpty()) {
            request.serverSideEncryption(ServerSideEncryption.fromValue(location.sse()));
            if (!location.kmsKeyId().isEmpty()) {
                request.ssekmsKeyId(location.kmsKeyId());
            }
        }
        try {
            return s3.createMultipartUpload(request.build()).uploadId();
        } catch (SdkException e) {
            throw S3Errors.io("start multipart upload of", where, e);
        }
    }

    private CompletedPart uploadPart(int partNumber, byte[] body, int length) {
        // A content provider rather than a copy: the client re-reads the same buffer on a retry.
        RequestBody content = RequestBody.fromContentProvider(() -> new ByteArrayInputStream(body, 0, length), length,
                "application/octet-stream");
        String eTag = s3.uploadPart(b -> b.bucket(location.bucket()).key(dataKey).uploadId(uploadId)
                .partNumber(partNumber).contentLength((long) length), content).eTag();
        return CompletedPart.builder().partNumber(partNumber).eTag(eTag).build();
    }

    private void awaitInFlight() throws IOException {
        if (inFlight == null) {
            return;
        }
        CompletableFuture<CompletedPart> pending = inFlight;
        inFlight = null;
        try {
            parts.add(pending.join());
        } catch (RuntimeException e) {
            throw S3Errors.io("upload part " + (parts.size() + 1) + " of", where, e);
        }
        free = uploading;
        uploading = null;
    }

    @Override
    public SnapshotMeta commit() throws IOException {
        if (done) {
            throw new IllegalStateException("snapshot " + meta.id() + " already committed or cancelled");
        }
        done = true;
        SnapshotMeta finished = meta.withData(size, "crc32c:" + Long.toHexString(crc.getValue()));
        boolean dataWritten = false;
        try {
            if (uploadId == null) {
                putSmallObject();
            } else {
                if (fill > 0) {
                    uploadBuffer();
                }
                awaitInFlight();
                completeUpload();
            }
            dataWritten = true;
            checkLength();
            String manifestKey = store.key(meta.id(), S3SnapshotStore.MANIFEST);
            try {
                s3.putObject(manifestRequest(manifestKey), RequestBody.fromBytes(SnapshotManifest.encode(finished)));
            } catch (SdkException e) {
                throw S3Errors.io("put", location.describe(manifestKey), e);
            }
        } catch (IOException | RuntimeException e) {
            discard(dataWritten);
            throw e;
        } finally {
            releaseBuffers();
        }
        try {
            store.reap();
        } catch (IOException | RuntimeException e) {
            // The snapshot is complete and visible; the next commit retries the retention pass.
            LOG.warn("Snapshot {} stored, but removing old snapshots from {} failed: {}", meta.id(), location, e.toString());
        }
        return finished;
    }

    private void putSmallObject() throws IOException {
        byte[] body = buffer == null ? new byte[0] : buffer;
        int length = fill;
        try {
            s3.putObject(objectRequest(dataKey),
                    RequestBody.fromContentProvider(() -> new ByteArrayInputStream(body, 0, length), length,
                            "application/octet-stream"));
        } catch (SdkException e) {
            throw S3Errors.io("put", where, e);
        }
    }

    private void completeUpload() throws IOException {
        try {
            s3.completeMultipartUpload(b -> b.bucket(location.bucket()).key(dataKey).uploadId(uploadId)
                    .multipartUpload(u -> u.parts(parts)));
        } catch (SdkException e) {
            throw S3Errors.io("complete multipart upload of", where, e);
        }
        uploadId = null;
    }

    /**
     * Guards against a store that kept something other than what was sent (for example a
     * chunked body with its checksum trailer, when the checksum mode does not suit the store).
     */
    private void checkLength() throws IOException {
        long stored;
        try {
            stored = s3.headObject(b -> b.bucket(location.bucket()).key(dataKey)).contentLength();
        } catch (SdkException e) {
            throw S3Errors.io("check", where, e);
        }
        if (stored != size) {
            throw new IOException("S3 stored " + stored + " bytes at " + where + " for a " + size + "-byte snapshot; if this "
                    + "is an S3-compatible store, set AWS_REQUEST_CHECKSUM_CALCULATION=when_required and "
                    + "AWS_RESPONSE_CHECKSUM_VALIDATION=when_required");
        }
    }

    private PutObjectRequest objectRequest(String key) {
        PutObjectRequest.Builder request = PutObjectRequest.builder().bucket(location.bucket()).key(key)
                .contentType("application/octet-stream");
        if (!location.sse().isEmpty()) {
            request.serverSideEncryption(ServerSideEncryption.fromValue(location.sse()));
            if (!location.kmsKeyId().isEmpty()) {
                request.ssekmsKeyId(location.kmsKeyId());
            }
        }
        return request.build();
    }

    private PutObjectRequest manifestRequest(String key) {
        return objectRequest(key).toBuilder().contentType("text/plain; charset=utf-8").build();
    }

    @Override
    public void cancel() {
        if (done) {
            return;
        }
        done = true;
        discard(false);
        releaseBuffers();
    }

    private void releaseBuffers() {
        buffer = null;
        uploading = null;
        free = null;
    }

    /** Abandons the upload, and the data object if it was completed; never throws. */
    private void discard(boolean dataWritten) {
        if (inFlight != null) {
            // Let the part upload end first: a part that lands after the abort would linger.
            try {
                inFlight.join();
            } catch (RuntimeException ignored) {
                // The upload is being abandoned either way.
            }
            inFlight = null;
        }
        if (uploadId != null) {
            String id = uploadId;
            uploadId = null;
            try {
                s3.abortMultipartUpload(b -> b.bucket(location.bucket()).key(dataKey).uploadId(id));
            } catch (SdkException e) {
                LOG.warn("Could not abort the multipart upload of {} ({}); a bucket lifecycle rule "
                        + "(AbortIncompleteMultipartUpload) reclaims its parts", where, e.toString());
            }
        }
        if (dataWritten) {
            try {
                store.delete(dataKey);
            } catch (IOException e) {
                LOG.warn("Could not remove {} of an unfinished snapshot: {} (removed by a later retention pass)", where,
                        e.toString());
            }
        }
    }
}
