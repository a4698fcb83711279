package dev.skiff.storage.s3;

import dev.skiff.kv.KvCommand;
import dev.skiff.kv.KvCommandCodec;
import dev.skiff.kv.KvStateMachine;
import dev.skiff.raft.Configuration;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import dev.skiff.raft.OpenSnapshot;
import dev.skiff.raft.Server;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.SnapshotSink;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import org.gaul.s3proxy.S3Proxy;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Measures a KV snapshot's trip through S3 and prints the numbers; asserts nothing and is not
 * run by the test suite. It starts S3Proxy on a file-system blob store (so the objects are not
 * on this JVM's heap), builds a {@link KvStateMachine} of {@code keys} keys with
 * {@code valueBytes}-byte values, uploads its snapshot, then restores it (open + verify +
 * {@link KvStateMachine#restore}) in a child JVM whose peak heap is reported.
 *
 * <pre>
 *   mvn -pl node,storage-s3 test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 *   java -Xmx2g -cp storage-s3/target/test-classes:storage-s3/target/classes:$(cat storage-s3/target/cp.txt) \
 *       dev.skiff.storage.s3.S3SnapshotMeasurement [keys] [valueBytes] [restoreXmx] [filesystem|transient]
 * </pre>
 */
public final class S3SnapshotMeasurement {

    private static final String BUCKET = "skiff-measure";

    private S3SnapshotMeasurement() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("restore")) {
            restore(URI.create(args[1]), args[2], args[3]);
            return;
        }
        int keys = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int valueBytes = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        String restoreXmx = args.length > 2 ? args[2] : "1g";
        String blobStore = args.length > 3 ? args[3] : "filesystem";
        setSdkProperties();

        Path dir = Files.createTempDirectory("skiff-s3proxy");
        Properties overrides = new Properties();
        overrides.setProperty("jclouds.filesystem.basedir", dir.toString());
        URI endpoint = URI.create("http://127.0.0.1:" + S3ProxyServer.freePort());
        S3Proxy proxy = S3ProxyServer.start(blobStore, overrides, endpoint);
        try (S3Client s3 = client(endpoint)) {
            s3.createBucket(b -> b.bucket(BUCKET));
            S3Location location = new S3Location(BUCKET, "measure", true, "", "", S3Location.DEFAULT_PART_SIZE);
            S3SnapshotStore store = S3SnapshotStore.open(s3, location, 2, false);

            KvStateMachine fsm = build(keys, valueBytes);
            // The encoding alone, to tell the codec's share of the upload time from S3's.
            long encodeStart = System.nanoTime();
            fsm.snapshot().persist(java.io.OutputStream.nullOutputStream());
            System.out.printf("encode only: %.2f s%n", (System.nanoTime() - encodeStart) / 1e9);
            long start = System.nanoTime();
            SnapshotSink sink = store.create(keys, 1, Configuration.of(Server.voter("n1", "n1:7000")), 1);
            fsm.snapshot().persist(sink.out());
            SnapshotMeta meta = sink.commit();
            double uploadSeconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("upload: %,d keys x %d B, snapshot %,d MB in %.2f s (%.0f MB/s, %d MiB parts, S3Proxy %s)%n",
                    keys, valueBytes, meta.size() >> 20, uploadSeconds, (meta.size() >> 20) / uploadSeconds,
                    S3Location.DEFAULT_PART_SIZE >> 20, blobStore);
            fsm = null;

            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx" + restoreXmx, "-XX:+UseParallelGC", "-cp", System.getProperty("java.class.path"),
                    S3SnapshotMeasurement.class.getName(), "restore", endpoint.toString(), location.prefix(), meta.id())
                    .inheritIO().start();
            int exit = child.waitFor();
            if (exit != 0) {
                System.out.println("restore JVM exited with " + exit);
            }
        } finally {
            proxy.stop();
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** In the child JVM: open the snapshot from S3, restore it, report time and peak heap. */
    private static void restore(URI endpoint, String prefix, String id) throws IOException {
        setSdkProperties();
        long start = System.nanoTime();
        KvStateMachine fsm = new KvStateMachine();
        long size;
        try (S3Client s3 = client(endpoint)) {
            S3Location location = new S3Location(BUCKET, prefix, true, "", "", S3Location.DEFAULT_PART_SIZE);
            S3SnapshotStore store = S3SnapshotStore.open(s3, location, 2, false);
            try (OpenSnapshot open = store.open(id)) {
                size = open.meta().size();
                fsm.restore(open.data());
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        System.gc();
        long live = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        System.out.printf("restore: %,d keys (%,d MB snapshot) opened, verified and restored in %.2f s; restoring JVM "
                        + "(-Xmx%d MB): peak heap %,d MB (sum of pool peaks), %,d MB live after GC%n",
                fsm.state().size(), size >> 20, seconds, Runtime.getRuntime().maxMemory() >> 20, peak >> 20, live >> 20);
    }

    private static KvStateMachine build(int keys, int valueBytes) {
        KvStateMachine fsm = new KvStateMachine();
        Random random = new Random(1);
        long index = 1;
        for (int i = 0; i < keys; i += 1_000) {
            List<LogEntry> batch = new ArrayList<>(1_000);
            for (int j = i; j < Math.min(keys, i + 1_000); j++) {
                byte[] value = new byte[valueBytes];
                random.nextBytes(value);
                batch.add(new LogEntry(index++, 1, LogType.COMMAND,
                        KvCommandCodec.encode(KvCommand.Put.of("users/" + j + "/profile", value))));
            }
            fsm.applyBatch(batch);
        }
        return fsm;
    }

    private static void setSdkProperties() {
        System.setProperty("aws.requestChecksumCalculation", "when_required");
        System.setProperty("aws.responseChecksumValidation", "when_required");
        System.setProperty("aws.accessKeyId", "test");
        System.setProperty("aws.secretAccessKey", "test");
    }

    private static S3Client client(URI endpoint) {
        return S3ClientFactory.create(new S3Location(BUCKET, "", true, "", "", S3Location.DEFAULT_PART_SIZE), name -> null,
                name -> name.equals("aws.endpointUrlS3") ? endpoint.toString() : System.getProperty(name),
                () -> Region.US_EAST_1, S3ClientFactory.Retries.standard(3));
    }
}
