package dev.skiff.archive;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * The object store a log archive lives in: S3 (the {@code storage-s3} module) or a local
 * directory ({@link FileArchiveObjects}). Keys are relative to the archive's root (the URI's
 * prefix) and use {@code /} as a separator. Implementations are thread-safe.
 */
public interface ArchiveObjects extends AutoCloseable {

    /**
     * Creates {@code key} with {@code data} unless it exists (S3 {@code If-None-Match: *}).
     *
     * @return true if this call created the object, false if it existed already
     * @throws IOException if the store cannot be reached; the object may or may not exist then
     */
    boolean putIfAbsent(String key, byte[] data) throws IOException;

    /** Writes {@code key}, replacing any object there. */
    void put(String key, byte[] data) throws IOException;

    /** The object's bytes, or empty if there is none. */
    Optional<byte[]> get(String key) throws IOException;

    /** Every key that starts with {@code prefix} and sorts after {@code startAfter} (may be empty), in key order. */
    List<String> list(String prefix, String startAfter) throws IOException;

    /** Deletes {@code key}; deleting a missing object is not an error. */
    void delete(String key) throws IOException;

    /**
     * Whether {@link #putIfAbsent} really refuses to replace an existing object. Some
     * S3-compatible stores (S3Proxy 2.6 among them) ignore {@code If-None-Match} and overwrite;
     * the archiver then verifies each manifest record after writing it instead.
     */
    boolean conditionalCreateHonoured() throws IOException;

    /** The object's full address ({@code s3://bucket/prefix/key}), for messages. */
    String describe(String key);

    @Override
    void close() throws IOException;
}
