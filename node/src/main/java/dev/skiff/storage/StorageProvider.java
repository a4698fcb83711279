package dev.skiff.storage;

import dev.skiff.discovery.Discovery;
import dev.skiff.raft.SnapshotStore;
import dev.skiff.raft.StableStore;
import java.io.IOException;
import java.net.URI;
import java.util.Set;

/**
 * A storage back-end found with {@link java.util.ServiceLoader} and chosen by URI scheme, the
 * way JDBC drivers are ({@code s3://} in the {@code storage-s3} module, {@code dynamodb://} in
 * {@code storage-dynamo}): the node never imports a cloud SDK itself.
 *
 * <p>Implementations are registered in
 * {@code META-INF/services/dev.skiff.storage.StorageProvider}, have a public no-argument
 * constructor, and are thread-safe. A provider implements the kinds of store its scheme
 * supports and leaves the others to the defaults, which refuse with a message naming the flag.
 */
public interface StorageProvider {

    /** The URI schemes this provider serves, for example {@code s3}. */
    Set<String> schemes();

    /** A snapshot store at {@code uri} ({@code --snapshots}, {@code --restore-from}). */
    default SnapshotStore snapshotStore(URI uri, StorageContext context) throws IOException {
        throw new IllegalArgumentException("--snapshots " + uri + ": the " + uri.getScheme() + " provider stores no snapshots");
    }

    /** A stable store at {@code uri} ({@code --stable}). */
    default StableStore stableStore(URI uri, StorageContext context) throws IOException {
        throw new IllegalArgumentException("--stable " + uri + ": the " + uri.getScheme() + " provider stores no Raft metadata");
    }

    /** The object store of a log archive at {@code uri} ({@code --log-archive}, point-in-time restores). */
    default dev.skiff.archive.ArchiveObjects archiveObjects(URI uri, StorageContext context) throws IOException {
        throw new IllegalArgumentException("--log-archive " + uri + ": the " + uri.getScheme() + " provider stores no log archive");
    }

    /** A discovery table at {@code uri} ({@code --discovery}). */
    default Discovery discovery(URI uri, StorageContext context) throws IOException {
        throw new IllegalArgumentException("--discovery " + uri + ": the " + uri.getScheme() + " provider has no discovery table");
    }
}
