package dev.skiff.storage.s3;

import dev.skiff.archive.ArchiveObjects;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A log archive's objects in S3 under {@code s3://bucket/prefix}: keys are placed under the
 * prefix, beside the snapshots of an {@link S3SnapshotStore} at the same location (which
 * ignores them). Creates use {@code If-None-Match: *}. Thread-safe.
 */
final class S3ArchiveObjects implements ArchiveObjects {

    private final S3Client s3;
    private final S3Location location;

    S3ArchiveObjects(S3Client s3, S3Location location) {
        this.s3 = s3;
        this.location = location;
    }

    @Override
    public boolean putIfAbsent(String key, byte[] data) throws IOException {
        String full = location.key(key);
        try {
            s3.putObject(b -> b.bucket(location.bucket()).key(full).ifNoneMatch("*"), RequestBody.fromBytes(data));
            return true;
        } catch (S3Exception e) {
            // 412: the object exists. 409: a concurrent conditional write to the same key won.
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                return false;
            }
            throw S3Errors.io("conditional put", location.describe(full), e);
        } catch (SdkException e) {
            throw S3Errors.io("conditional put", location.describe(full), e);
        }
    }

    @Override
    public void put(String key, byte[] data) throws IOException {
        String full = location.key(key);
        try {
            s3.putObject(b -> b.bucket(location.bucket()).key(full), RequestBody.fromBytes(data));
        } catch (SdkException e) {
            throw S3Errors.io("put", location.describe(full), e);
        }
    }

    @Override
    public Optional<byte[]> get(String key) throws IOException {
        String full = location.key(key);
        try {
            return Optional.of(s3.getObjectAsBytes(b -> b.bucket(location.bucket()).key(full)).asByteArray());
        } catch (SdkException e) {
            if (S3Errors.isNotFound(e)) {
                return Optional.empty();
            }
            throw S3Errors.io("get", location.describe(full), e);
        }
    }

    @Override
    public List<String> list(String prefix, String startAfter) throws IOException {
        String root = location.listPrefix();
        List<String> keys = new ArrayList<>();
        try {
            for (S3Object o : s3.listObjectsV2Paginator(b -> {
                b.bucket(location.bucket()).prefix(root + prefix);
                if (!startAfter.isEmpty()) {
                    b.startAfter(root + startAfter);
                }
            }).contents()) {
                keys.add(o.key().substring(root.length()));
            }
        } catch (SdkException e) {
            throw S3Errors.io("list", location.describe(root + prefix), e);
        }
        return keys;
    }

    @Override
    public void delete(String key) throws IOException {
        String full = location.key(key);
        try {
            s3.deleteObject(b -> b.bucket(location.bucket()).key(full));
        } catch (SdkException e) {
            throw S3Errors.io("delete", location.describe(full), e);
        }
    }

    /** Writes a probe object twice with {@code If-None-Match: *}: the second must be refused. */
    @Override
    public boolean conditionalCreateHonoured() throws IOException {
        String probe = String.format("archive/.conditional-create-probe-%016x", ThreadLocalRandom.current().nextLong());
        try {
            putIfAbsent(probe, new byte[] {1});
            return !putIfAbsent(probe, new byte[] {2});
        } finally {
            delete(probe);
        }
    }

    @Override
    public String describe(String key) {
        return location.describe(location.key(key));
    }

    @Override
    public void close() {
        s3.close();
    }

    @Override
    public String toString() {
        return location.toString();
    }
}
