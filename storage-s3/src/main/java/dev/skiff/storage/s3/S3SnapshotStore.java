package dev.skiff.storage.s3;

import dev.skiff.storage.CloudCallMeters;
import dev.skiff.raft.Configuration;
import dev.skiff.raft.CorruptLogException;
import dev.skiff.raft.InMemorySnapshotStore;
import dev.skiff.raft.OpenSnapshot;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.SnapshotSink;
import dev.skiff.raft.SnapshotStore;
import dev.skiff.storage.ReachabilityCheck;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A {@link SnapshotStore} in S3 (or an S3-compatible store) under {@code s3://bucket/prefix}.
 * Each snapshot is two objects:
 *
 * <pre>
 *   prefix/&lt;id&gt;/data       the snapshot's bytes, streamed up as a multipart upload
 *   prefix/&lt;id&gt;/manifest   its {@link SnapshotMeta} with size and CRC32C ({@link SnapshotManifest})
 * </pre>
 *
 * <p><b>Visibility.</b> The data object is completed first and the manifest put last, so a
 * snapshot is listed only once both exist: a crash while writing leaves at most an incomplete
 * multipart upload (invisible; a bucket lifecycle rule {@code AbortIncompleteMultipartUpload}
 * reclaims its parts if the writer could not abort it) or a data object without a manifest
 * (ignored, and deleted by a later commit's retention pass after {@link #ORPHAN_GRACE}).
 * Retention deletes the manifest first and the data second, so a crash in between can never
 * leave a manifest pointing at missing data. A manifest without data (an object deleted by
 * hand) is skipped by {@link #list()} with a warning, and {@link #open} reports it as
 * corruption.
 *
 * <p><b>Memory.</b> A snapshot being written holds at most two parts in memory (one filling,
 * one uploading); reads stream straight from the HTTP response.
 *
 * <p><b>Failures.</b> Requests are retried by the client ({@link S3ClientFactory}); when they
 * finally fail, methods throw {@link IOException}s naming the bucket and key.
 *
 * <p><b>Sharing.</b> The servers of a cluster share one prefix ({@link #sharedByCluster()}):
 * a leader sends InstallSnapshot by reference and the follower or new server downloads the
 * snapshot itself. Ids carry a random suffix so they never collide; retention keeps the
 * {@code retain} newest of all the servers' snapshots.
 *
 * <p>Thread-safe: snapshots are written and read concurrently; retention passes of this
 * process are serialised.
 */
public final class S3SnapshotStore implements SnapshotStore, ReachabilityCheck, AutoCloseable {

    /** A data object without a manifest older than this is an orphan of a crash, deleted by retention. */
    public static final Duration ORPHAN_GRACE = Duration.ofHours(1);
    /** How long {@link #checkReachable()} waits for S3 before it reports the bucket unreachable. */
    public static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);
    static final String DATA = "data";
    static final String MANIFEST = "manifest";
    /** term-index-millis-random: unique across the processes that share a prefix. */
    private static final Pattern ID = Pattern.compile("\\d{1,19}-\\d{1,19}-\\d{1,19}-[0-9a-f]{8}");
    private static final Pattern KEY = Pattern.compile("(" + ID.pattern() + ")/(" + DATA + "|" + MANIFEST + ")");
    private static final Logger LOG = LoggerFactory.getLogger(S3SnapshotStore.class);
    /** Newest first, as the interface promises; ids break ties. */
    private static final Comparator<SnapshotMeta> ORDER = InMemorySnapshotStore.NEWEST_FIRST
            .thenComparing(Comparator.comparing(SnapshotMeta::id).reversed());

    private final S3Client s3;
    private final boolean ownsClient;
    private final S3Location location;
    private final int retain;
    /** Uploads parts in the background while the writer fills the next one. */
    private final ExecutorService uploaders = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("s3-snapshot-upload-", 0).factory());
    private final Object reapLock = new Object();
    private long lastIdMillis;

    /** Without the bucket check of {@code open}: for tests of a store whose S3 went away. */
    S3SnapshotStore(S3Client s3, boolean ownsClient, S3Location location, int retain) {
        this.s3 = s3;
        this.ownsClient = ownsClient;
        this.location = location;
        this.retain = retain;
    }

    /**
     * Opens the store with a client built by {@link S3ClientFactory#create(S3Location, CloudCallMeters)}
     * from the environment, reporting its calls to {@code meters}; {@link #close()} closes that
     * client.
     *
     * @see #open(S3Client, S3Location, int, boolean)
     */
    public static S3SnapshotStore open(S3Location location, int retain, boolean createBucket, CloudCallMeters meters)
            throws IOException {
        S3Client client = S3ClientFactory.create(location, meters);
        try {
            return open(client, location, retain, createBucket, true);
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /**
     * Opens the store on a caller's client, which stays the caller's to close. Checks that the
     * bucket exists and that the prefix can be listed, so that a wrong name or missing
     * permission shows at start-up rather than at the first snapshot.
     *
     * @param retain       how many snapshots to keep (at least 1)
     * @param createBucket create the bucket if it is missing (development and tests only)
     * @throws FileNotFoundException if the bucket does not exist and may not be created
     * @throws IOException           if S3 cannot be reached or refuses access
     */
    public static S3SnapshotStore open(S3Client s3, S3Location location, int retain, boolean createBucket)
            throws IOException {
        return open(s3, location, retain, createBucket, false);
    }

    private static S3SnapshotStore open(S3Client s3, S3Location location, int retain,
                                        boolean createBucket, boolean ownsClient) throws IOException {
        if (retain < 1) {
            throw new IllegalArgumentException("retain must be >= 1, got " + retain);
        }
        String where = "s3://" + location.bucket();
        try {
            listOne(s3, location, null);
        } catch (SdkException e) {
            if (!S3Errors.isNotFound(e)) {
                throw S3Errors.io("check bucket", where, e);
            }
            if (!createBucket) {
                throw new FileNotFoundException("S3 bucket " + where + " does not exist (create it, for example with the "
                        + "project's Terraform; --create-tables creates it for development)");
            }
            try {
                s3.createBucket(b -> b.bucket(location.bucket()));
                LOG.info("Created S3 bucket {}", where);
            } catch (BucketAlreadyOwnedByYouException raced) {
                // Nodes started together with --create-tables: another one created it first.
                LOG.info("S3 bucket {} was created meanwhile by another process of this account", where);
            } catch (SdkException created) {
                throw S3Errors.io("create bucket", where, created);
            }
        }
        return new S3SnapshotStore(s3, ownsClient, location, retain);
    }

    /** Where this store keeps its snapshots. */
    public S3Location location() {
        return location;
    }

    /**
     * Lists one key under the prefix: the cheapest request that a least-privilege policy allows
     * (HeadBucket needs {@code s3:ListBucket} without an {@code s3:prefix} condition, which the
     * Terraform module's policy, scoped to the prefix, does not grant).
     */
    private static void listOne(S3Client s3, S3Location location, Duration timeout) {
        s3.listObjectsV2(b -> {
            b.bucket(location.bucket()).prefix(location.listPrefix()).maxKeys(1);
            if (timeout != null) {
                b.overrideConfiguration(o -> o.apiCallTimeout(timeout));
            }
        });
    }

    /** Lists one key under the prefix, giving up after {@link #PROBE_TIMEOUT} (the client's retries included). */
    @Override
    public Optional<String> checkReachable() {
        try {
            listOne(s3, location, PROBE_TIMEOUT);
            return Optional.empty();
        } catch (SdkException e) {
            return Optional.of(S3Errors.io("check bucket", "s3://" + location.bucket(), e).getMessage());
        }
    }

    @Override
    public SnapshotSink create(long index, long term, Configuration configuration, long configurationIndex)
            throws IOException {
        String id = term + "-" + index + "-" + uniqueMillis() + "-"
                + String.format("%08x", ThreadLocalRandom.current().nextInt());
        SnapshotMeta meta = new SnapshotMeta(id, index, term, configuration, configurationIndex, -1, "");
        return new MultipartSink(this, meta);
    }

    /** Creation time in ms, strictly increasing within this store. */
    private synchronized long uniqueMillis() {
        lastIdMillis = Math.max(System.currentTimeMillis(), lastIdMillis + 1);
        return lastIdMillis;
    }

    /** True: every server given the same {@code s3://bucket/prefix} reads the same snapshots. */
    @Override
    public boolean sharedByCluster() {
        return true;
    }

    @Override
    public List<SnapshotMeta> list() throws IOException {
        return scan().complete();
    }

    @Override
    public OpenSnapshot open(String id) throws IOException {
        if (!ID.matcher(id).matches()) {
            throw new FileNotFoundException("no snapshot " + id + " in " + location + " (not a snapshot id)");
        }
        String manifestKey = key(id, MANIFEST);
        SnapshotMeta meta = readManifest(id).orElseThrow(
                () -> new FileNotFoundException("no snapshot " + id + " in " + location));
        String dataKey = key(id, DATA);
        String where = location.describe(dataKey);
        ResponseInputStream<GetObjectResponse> data;
        try {
            data = s3.getObject(b -> b.bucket(location.bucket()).key(dataKey));
        } catch (SdkException e) {
            if (!S3Errors.isNotFound(e)) {
                throw S3Errors.io("get", where, e);
            }
            if (readManifest(id).isEmpty()) {
                throw new FileNotFoundException("snapshot " + id + " in " + location + " was deleted while being opened");
            }
            throw SnapshotManifest.corrupt(where, 0, "snapshot " + id + " has a manifest ("
                    + location.describe(manifestKey) + ") but no data object");
        }
        Long length = data.response().contentLength();
        if (length != null && length != meta.size()) {
            data.abort();
            throw SnapshotManifest.corrupt(where, Math.min(length, meta.size()), "the data object is " + length
                    + " bytes, its manifest says " + meta.size());
        }
        return new OpenSnapshot(meta, new VerifyingInputStream(data, where, meta.size(), meta.checksum()));
    }

    /** The decoded manifest of {@code id}, or empty if it does not exist. */
    private Optional<SnapshotMeta> readManifest(String id) throws IOException {
        String key = key(id, MANIFEST);
        String where = location.describe(key);
        byte[] bytes;
        try {
            bytes = s3.getObjectAsBytes(b -> b.bucket(location.bucket()).key(key)).asByteArray();
        } catch (SdkException e) {
            if (e instanceof NoSuchBucketException || !S3Errors.isNotFound(e)) {
                throw S3Errors.io("get", where, e);
            }
            return Optional.empty();
        }
        SnapshotMeta meta = SnapshotManifest.decode(bytes, where);
        if (!meta.id().equals(id)) {
            throw SnapshotManifest.corrupt(where, 0, "the manifest names snapshot " + meta.id() + ", not " + id);
        }
        return Optional.of(meta);
    }

    /**
     * What is under the prefix: complete snapshots (newest first), and data objects with their
     * age. Objects that do not look like a snapshot's are ignored.
     */
    private Scan scan() throws IOException {
        String prefix = location.listPrefix();
        Map<String, Instant> data = new HashMap<>();
        Set<String> manifests = new HashSet<>();
        try {
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(location.bucket()).prefix(prefix)).contents()) {
                Matcher m = KEY.matcher(o.key().substring(prefix.length()));
                if (!m.matches()) {
                    continue;
                }
                if (m.group(2).equals(DATA)) {
                    data.put(m.group(1), o.lastModified());
                } else {
                    manifests.add(m.group(1));
                }
            }
        } catch (SdkException e) {
            throw S3Errors.io("list", location.describe(prefix), e);
        }
        List<SnapshotMeta> complete = new ArrayList<>();
        for (String id : manifests) {
            if (!data.containsKey(id)) {
                LOG.warn("Ignoring snapshot {}: its manifest {} has no data object", id, location.describe(key(id, MANIFEST)));
                continue;
            }
            try {
                readManifest(id).ifPresent(complete::add);
            } catch (CorruptLogException e) {
                LOG.warn("Ignoring snapshot with a damaged manifest: {}", e.getMessage());
            }
        }
        complete.sort(ORDER);
        return new Scan(complete, data);
    }

    private record Scan(List<SnapshotMeta> complete, Map<String, Instant> data) {
    }

    /** Deletes a snapshot: manifest first (it is then no longer listed), then data. */
    @Override
    public void delete(String id) throws IOException {
        if (!ID.matcher(id).matches()) {
            return; // not a snapshot id: nothing of ours to delete
        }
        synchronized (reapLock) {
            deleteObject(key(id, MANIFEST));
            deleteObject(key(id, DATA));
        }
        LOG.info("Deleted snapshot {} from {} (log archive retention)", id, location);
    }

    /**
     * Keeps the {@code retain} newest snapshots: deletes the older ones (manifest first, then
     * data) and data objects that lost their manifest more than {@link #ORPHAN_GRACE} ago.
     */
    void reap() throws IOException {
        synchronized (reapLock) {
            Scan scan = scan();
            List<SnapshotMeta> all = scan.complete();
            Set<String> listed = new HashSet<>();
            for (int i = 0; i < all.size(); i++) {
                String id = all.get(i).id();
                listed.add(id);
                if (i >= retain) {
                    // Manifest first: a crash between the two leaves an invisible orphan, never
                    // a listed snapshot without data.
                    deleteObject(key(id, MANIFEST));
                    deleteObject(key(id, DATA));
                    LOG.info("Deleted snapshot {} from {} (keeping the {} newest)", id, location, retain);
                }
            }
            Instant cutoff = Instant.now().minus(ORPHAN_GRACE);
            for (Map.Entry<String, Instant> d : scan.data().entrySet()) {
                // A young data object without a manifest may be a commit in progress.
                if (!listed.contains(d.getKey()) && d.getValue().isBefore(cutoff)) {
                    deleteObject(key(d.getKey(), DATA));
                    LOG.info("Deleted orphaned snapshot data {}", location.describe(key(d.getKey(), DATA)));
                }
            }
        }
    }

    void deleteObject(String key) throws IOException {
        try {
            s3.deleteObject(b -> b.bucket(location.bucket()).key(key));
        } catch (S3Exception e) {
            if (!S3Errors.isNotFound(e)) {
                throw S3Errors.io("delete", location.describe(key), e);
            }
        } catch (SdkException e) {
            throw S3Errors.io("delete", location.describe(key), e);
        }
    }

    String key(String id, String object) {
        return location.key(id + "/" + object);
    }

    S3Client client() {
        return s3;
    }

    ExecutorService uploaders() {
        return uploaders;
    }

    /** Closes the S3 client if this store created it. */
    @Override
    public void close() {
        uploaders.shutdown();
        if (ownsClient) {
            s3.close();
        }
    }

    @Override
    public String toString() {
        return "S3SnapshotStore[" + location + ", retain " + retain + "]";
    }
}
