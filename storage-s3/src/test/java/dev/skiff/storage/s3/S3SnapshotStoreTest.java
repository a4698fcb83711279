package dev.skiff.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.raft.Configuration;
import dev.skiff.raft.CorruptLogException;
import dev.skiff.raft.OpenSnapshot;
import dev.skiff.raft.Server;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.SnapshotSink;
import dev.skiff.storage.s3.S3ClientFactory.Retries;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32C;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** What the contract does not cover: multipart, damage, crashes, foreign objects, failures. */
class S3SnapshotStoreTest {

    private static final Configuration CONFIG = Configuration.of(Server.voter("a", "10.0.0.1:7000"));
    private final S3ProxyServer server = S3ProxyServer.get();
    private final S3Client s3 = server.client();

    private S3SnapshotStore newStore(String name, int retain) throws IOException {
        return S3SnapshotStore.open(s3, S3ProxyServer.location(name), retain, false);
    }

    private static SnapshotMeta write(S3SnapshotStore store, long index, byte[] data) throws IOException {
        SnapshotSink sink = store.create(index, 1, CONFIG, 1);
        sink.out().write(data);
        return sink.commit();
    }

    private List<String> keys(S3SnapshotStore store) {
        return s3.listObjectsV2Paginator(b -> b.bucket(S3ProxyServer.BUCKET).prefix(store.location().listPrefix()))
                .contents().stream().map(S3Object::key).sorted().toList();
    }

    private void put(String key, byte[] data) {
        s3.putObject(b -> b.bucket(S3ProxyServer.BUCKET).key(key), RequestBody.fromBytes(data));
    }

    private static byte[] bytes(int size, long seed) {
        byte[] b = new byte[size];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    @Test
    void when_snapshotSpansManyParts_then_itStreamsUpAndReadsBackIdentical() throws IOException {
        S3SnapshotStore store = newStore("multipart", 2);
        long size = 25L * 1024 * 1024 + 12_345; // six parts of 5 MiB, the last one short
        SnapshotSink sink = store.create(7, 2, CONFIG, 3);
        CRC32C written = new CRC32C();
        byte[] chunk = new byte[64 * 1024 + 7];
        SplittableRandom random = new SplittableRandom(42);
        for (long left = size; left > 0; ) {
            int n = (int) Math.min(chunk.length, left);
            random.nextBytes(chunk);
            sink.out().write(chunk, 0, n);
            written.update(chunk, 0, n);
            left -= n;
        }
        SnapshotMeta meta = sink.commit();

        assertThat(meta.size()).isEqualTo(size);
        assertThat(meta.checksum()).isEqualTo("crc32c:" + Long.toHexString(written.getValue()));
        assertThat(s3.headObject(b -> b.bucket(S3ProxyServer.BUCKET).key(store.key(meta.id(), "data"))).contentLength())
                .isEqualTo(size);
        CRC32C read = new CRC32C();
        long total = 0;
        try (OpenSnapshot open = store.open(meta.id())) {
            byte[] buf = new byte[100_000];
            for (int n; (n = open.data().read(buf)) >= 0; ) {
                read.update(buf, 0, n);
                total += n;
            }
        }
        assertThat(total).isEqualTo(size);
        assertThat(read.getValue()).isEqualTo(written.getValue());
        System.out.printf("multipart test: %,d bytes in %d parts of %,d bytes round-tripped%n", size,
                (size + S3Location.MIN_PART_SIZE - 1) / S3Location.MIN_PART_SIZE, S3Location.MIN_PART_SIZE);
    }

    @Test
    void when_sizeIsExactlyOnePart_then_itIsOneCompletedPart() throws IOException {
        S3SnapshotStore store = newStore("one-part", 2);
        byte[] data = bytes(S3Location.MIN_PART_SIZE, 3);
        SnapshotMeta meta = write(store, 5, data);
        try (OpenSnapshot open = store.open(meta.id())) {
            assertThat(open.data().readAllBytes()).isEqualTo(data);
        }
    }

    @Test
    void when_dataObjectIsOverwritten_then_readingFailsNamingTheObject() throws IOException {
        S3SnapshotStore store = newStore("corrupt", 2);
        byte[] data = bytes(300_000, 1);
        SnapshotMeta meta = write(store, 10, data);
        String dataKey = store.key(meta.id(), "data");
        byte[] damaged = data.clone();
        damaged[123_456] ^= 0x40;
        put(dataKey, damaged);

        try (OpenSnapshot open = store.open(meta.id())) {
            assertThatThrownBy(() -> open.data().readAllBytes())
                    .isInstanceOf(CorruptLogException.class)
                    .hasMessageContaining("s3://" + S3ProxyServer.BUCKET + "/" + dataKey)
                    .hasMessageContaining("checksum mismatch");
        }
    }

    @Test
    void when_dataObjectIsShort_then_openFailsNamingTheObjectAndOffset() throws IOException {
        S3SnapshotStore store = newStore("short", 2);
        byte[] data = bytes(50_000, 2);
        SnapshotMeta meta = write(store, 10, data);
        String dataKey = store.key(meta.id(), "data");
        put(dataKey, java.util.Arrays.copyOf(data, 40_000));

        assertThatThrownBy(() -> store.open(meta.id()))
                .isInstanceOf(CorruptLogException.class)
                .hasMessageContaining("s3://" + S3ProxyServer.BUCKET + "/" + dataKey)
                .hasMessageContaining("offset 40000");
    }

    @Test
    void when_manifestHasNoData_then_itIsNotListedAndOpeningItIsReportedAsCorrupt() throws IOException {
        S3SnapshotStore store = newStore("no-data", 5);
        SnapshotMeta kept = write(store, 10, bytes(1000, 1));
        SnapshotMeta lost = write(store, 20, bytes(1000, 2));
        s3.deleteObject(b -> b.bucket(S3ProxyServer.BUCKET).key(store.key(lost.id(), "data")));

        assertThat(store.list()).containsExactly(kept);
        assertThatThrownBy(() -> store.open(lost.id()))
                .isInstanceOf(CorruptLogException.class)
                .hasMessageContaining(store.key(lost.id(), "data"))
                .hasMessageContaining("has a manifest");
    }

    @Test
    void when_retentionCrashedBetweenManifestAndData_then_theLeftoverIsInvisible() throws IOException {
        S3SnapshotStore store = newStore("crashed-reap", 5);
        SnapshotMeta old = write(store, 10, bytes(1000, 1));
        SnapshotMeta fresh = write(store, 20, bytes(1000, 2));
        // Retention deletes the manifest first; a crash then leaves the data object alone.
        s3.deleteObject(b -> b.bucket(S3ProxyServer.BUCKET).key(store.key(old.id(), "manifest")));

        assertThat(store.list()).containsExactly(fresh);
        assertThatThrownBy(() -> store.open(old.id())).isInstanceOf(FileNotFoundException.class);
    }

    @Test
    void when_retainIsExceeded_then_olderSnapshotsLoseBothObjects() throws IOException {
        S3SnapshotStore store = newStore("retain", 2);
        SnapshotMeta first = write(store, 10, bytes(100, 1));
        SnapshotMeta second = write(store, 20, bytes(100, 2));
        SnapshotMeta third = write(store, 30, bytes(100, 3));

        assertThat(store.list()).containsExactly(third, second);
        assertThat(keys(store)).noneMatch(k -> k.contains(first.id()));
        assertThat(keys(store)).hasSize(4);
    }

    @Test
    void when_foreignObjectsShareThePrefix_then_listingAndRetentionIgnoreThem() throws IOException {
        S3SnapshotStore store = newStore("foreign", 1);
        String prefix = store.location().listPrefix();
        List<String> foreign = List.of(prefix + "README.txt", prefix + "backup/manifest", prefix + "1-2-3-zzzzzzzz/manifest",
                prefix + "1-2-3-0000000a/extra", prefix + "nested/1-2-3-0000000b/manifest");
        for (String key : foreign) {
            put(key, "not a snapshot".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        write(store, 10, bytes(100, 1));
        SnapshotMeta newest = write(store, 20, bytes(100, 2));

        assertThat(store.list()).containsExactly(newest);
        assertThat(keys(store)).containsAll(foreign);
    }

    @Test
    void when_manifestIsDamaged_then_theSnapshotIsSkippedAndOpeningNamesTheManifest() throws IOException {
        S3SnapshotStore store = newStore("bad-manifest", 5);
        SnapshotMeta good = write(store, 10, bytes(100, 1));
        SnapshotMeta bad = write(store, 20, bytes(100, 2));
        String manifestKey = store.key(bad.id(), "manifest");
        byte[] manifest = s3.getObjectAsBytes(b -> b.bucket(S3ProxyServer.BUCKET).key(manifestKey)).asByteArray();
        manifest[40] ^= 1;
        put(manifestKey, manifest);

        assertThat(store.list()).containsExactly(good);
        assertThatThrownBy(() -> store.open(bad.id()))
                .isInstanceOf(CorruptLogException.class)
                .hasMessageContaining(manifestKey);
    }

    @Test
    void when_cancelledAfterAPartWasUploaded_then_theMultipartUploadIsAborted() throws IOException {
        S3SnapshotStore store = newStore("cancel", 2);
        SnapshotSink sink = store.create(10, 1, CONFIG, 1);
        sink.out().write(bytes(S3Location.MIN_PART_SIZE + 1000, 1));
        assertThat(uploads(store)).isEqualTo(1);
        sink.cancel();

        assertThat(uploads(store)).isZero();
        assertThat(store.list()).isEmpty();
        assertThat(keys(store)).isEmpty();
        assertThatThrownBy(() -> sink.out().write(1)).isInstanceOf(IOException.class).hasMessageContaining(sink.id());
    }

    private int uploads(S3SnapshotStore store) {
        return s3.listMultipartUploads(b -> b.bucket(S3ProxyServer.BUCKET).prefix(store.location().listPrefix()))
                .uploads().size();
    }

    @Test
    void when_serverSideEncryptionIsAsked_then_snapshotsStillRoundTrip() throws IOException {
        S3Location location = S3Location.parse(java.net.URI.create("s3://" + S3ProxyServer.BUCKET + "/"
                + S3ProxyServer.location("sse").prefix() + "?pathStyle=true&sse=AES256&partSizeMiB=5"), name -> null);
        S3SnapshotStore store = S3SnapshotStore.open(s3, location, 2, false);
        byte[] data = bytes(S3Location.MIN_PART_SIZE * 2 + 10, 5);
        SnapshotMeta meta = write(store, 10, data);
        try (OpenSnapshot open = store.open(meta.id())) {
            assertThat(open.data().readAllBytes()).isEqualTo(data);
        }
    }

    @Test
    void when_readerClosesEarly_then_theStoreKeepsWorking() throws IOException {
        S3SnapshotStore store = newStore("early-close", 2);
        SnapshotMeta meta = write(store, 10, bytes(2_000_000, 9));
        try (OpenSnapshot open = store.open(meta.id())) {
            InputStream in = open.data();
            assertThat(in.readNBytes(10)).hasSize(10);
        }
        // The connection was aborted rather than drained; the client goes on working.
        assertThat(store.list()).containsExactly(meta);
    }

    @Test
    void when_bucketIsMissing_then_openSaysSoOrCreatesItWhenAllowed() throws IOException {
        S3Location missing = new S3Location("skiff-missing-bucket", "p", true, "", "", S3Location.MIN_PART_SIZE);
        assertThatThrownBy(() -> S3SnapshotStore.open(s3, missing, 2, false))
                .isInstanceOf(FileNotFoundException.class)
                .hasMessageContaining("s3://skiff-missing-bucket does not exist");

        S3Location created = new S3Location("skiff-created-bucket", "q", true, "", "", S3Location.MIN_PART_SIZE);
        S3SnapshotStore store = S3SnapshotStore.open(s3, created, 2, true);
        SnapshotMeta meta = write(store, 10, bytes(100, 1));
        assertThat(store.list()).containsExactly(meta);
    }

    @Test
    void when_nodesCreateTheMissingBucketAtOnce_then_everyOneOpens() throws Exception {
        // Found by CloudClusterIT: three nodes started together with --create-tables, one lost
        // the race with 409 BucketAlreadyOwnedByYou and exited.
        S3Location racing = new S3Location("skiff-raced-bucket", "r", true, "", "", S3Location.MIN_PART_SIZE);
        CyclicBarrier together = new CyclicBarrier(8);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<S3SnapshotStore>> opened = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                opened.add(pool.submit(() -> {
                    together.await();
                    return S3SnapshotStore.open(s3, racing, 2, true);
                }));
            }
            for (Future<S3SnapshotStore> f : opened) {
                assertThat(f.get().list()).isEmpty();
            }
        }
    }

    @Test
    void when_s3IsUnreachable_then_theFailureNamesTheBucketAfterRetrying() throws IOException {
        S3SnapshotStore store = newStore("unreachable", 2);
        int deadPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            deadPort = socket.getLocalPort();
        }
        S3Client dead = clientAt(store.location(), deadPort,
                new Retries(3, Duration.ofMillis(10), Duration.ofMillis(10), Duration.ofMillis(50)));
        assertThatThrownBy(() -> S3SnapshotStore.open(dead, store.location(), 2, false))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("s3://" + S3ProxyServer.BUCKET + " failed (after the client's retries)");
        dead.close();
    }

    @Test
    void when_s3IsDownOrHangs_then_theReachabilityCheckSaysSoWithinItsTimeout() throws IOException {
        S3SnapshotStore live = newStore("probe", 2);
        assertThat(live.checkReachable()).isEmpty();

        Retries quick = new Retries(3, Duration.ofMillis(10), Duration.ofMillis(10), Duration.ofMillis(50));
        int deadPort;
        try (java.net.ServerSocket closed = new java.net.ServerSocket(0)) {
            deadPort = closed.getLocalPort();
        }
        try (S3Client down = clientAt(live.location(), deadPort, quick)) {
            assertThat(new S3SnapshotStore(down, false, live.location(), 2).checkReachable()).get(InstanceOfAssertFactories.STRING)
                    .contains("s3://" + S3ProxyServer.BUCKET).contains("Connect");
        }
        // Accepts connections (the kernel's backlog) and never answers: a hung S3.
        try (java.net.ServerSocket hung = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
             S3Client client = clientAt(live.location(), hung.getLocalPort(), quick)) {
            long started = System.nanoTime();
            assertThat(new S3SnapshotStore(client, false, live.location(), 2).checkReachable()).isPresent();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(S3SnapshotStore.PROBE_TIMEOUT.multipliedBy(3));
        }
    }

    private static S3Client clientAt(S3Location location, int port, Retries retries) {
        return S3ClientFactory.create(location, name -> null,
                name -> name.equals("aws.endpointUrlS3") ? "http://127.0.0.1:" + port : System.getProperty(name),
                () -> software.amazon.awssdk.regions.Region.US_EAST_1, retries);
    }

    @Test
    void when_openWithBadIds_then_fileNotFound() throws IOException {
        S3SnapshotStore store = newStore("bad-ids", 2);
        for (String id : List.of("../x", "", "1-2-3", "1-2-3-0000000g", "1-2-3-00000000/../../x")) {
            assertThatThrownBy(() -> store.open(id)).isInstanceOf(FileNotFoundException.class);
        }
    }

    @Test
    void when_writerStreamsSlowlyInTinyWrites_then_bytesAreUnchanged() throws IOException {
        S3SnapshotStore store = newStore("tiny-writes", 2);
        byte[] data = bytes(S3Location.MIN_PART_SIZE + 3, 11);
        SnapshotSink sink = store.create(10, 1, CONFIG, 1);
        OutputStream out = sink.out();
        for (int i = 0; i < 1000; i++) {
            out.write(data[i]);
        }
        out.write(data, 1000, data.length - 1000);
        SnapshotMeta meta = sink.commit();
        try (OpenSnapshot open = store.open(meta.id())) {
            assertThat(open.data().readAllBytes()).isEqualTo(data);
        }
    }
}
