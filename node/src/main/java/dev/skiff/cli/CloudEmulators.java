package dev.skiff.cli;

import dev.skiff.storage.StorageProviders;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.ServerSocket;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * The AWS emulators of {@code skiff demo --cloud}, started in this process on 127.0.0.1:
 * an open-source DynamoDB emulator (http4k-connect's DynamoDB fake, Apache-2.0, run by the
 * emulators module's {@code dev.skiff.emulators.DynamoDbEmulator}) for the stable store and
 * the discovery table and, when the storage-s3 module and S3Proxy are both present, S3Proxy
 * (snapshots); otherwise snapshots stay on local disk.
 *
 * <p>The emulators are not in {@code lib/} (a demo should not grow the distribution): they come
 * from a directory ({@code --emulators}, built by {@code mvn -pl emulators package} into
 * {@code emulators/target/emulators}: the DynamoDB emulator and its jars in {@code dynamodb/},
 * S3Proxy's self-contained jar in {@code s3proxy/}) or from the class path, and are reached by
 * reflection so that the node has no compile-time dependency on them. Each directory gets a
 * class loader of its own whose parent is the platform loader: the emulators carry their own
 * Jackson, Kotlin, Logback and HTTP clients, which must not shadow the node's. Data lives under
 * the demo's data dir, so a second run finds the state of the first.
 *
 * <p>Not thread-safe; one per demo.
 */
final class CloudEmulators implements AutoCloseable {

    static final String DYNAMO_EMULATOR = "dev.skiff.emulators.DynamoDbEmulator";
    static final String S3PROXY = "org.gaul.s3proxy.S3Proxy";
    static final String STABLE_TABLE = "skiff-demo-stable";
    static final String DISCOVERY_TABLE = "skiff-demo-discovery";
    static final String BUCKET = "skiff-demo";
    static final String CLUSTER = "demo";
    /** Under the demo's data dir: the DynamoDB emulator's tables. */
    static final String DYNAMO_DATA = "dynamodb";

    final URI dynamoEndpoint;
    /** The S3Proxy endpoint, or null when snapshots stay local. */
    final URI s3Endpoint;
    private final AutoCloseable dynamo;
    private final Object s3Proxy;

    private CloudEmulators(URI dynamoEndpoint, AutoCloseable dynamo, URI s3Endpoint, Object s3Proxy) {
        this.dynamoEndpoint = dynamoEndpoint;
        this.dynamo = dynamo;
        this.s3Endpoint = s3Endpoint;
        this.s3Proxy = s3Proxy;
    }

    /**
     * Starts the emulators.
     *
     * @param emulatorsDir the emulators directory ({@code dynamodb/} and {@code s3proxy/}), or
     *                     null to use the class path
     * @throws IllegalArgumentException (exit 2) naming what is missing and how to get it
     */
    static CloudEmulators start(Path dataDir, Path emulatorsDir) throws IOException {
        StorageProviders.forUri(URI.create("dynamodb://" + STABLE_TABLE), "demo --cloud");
        Path tables = dataDir.resolve(DYNAMO_DATA);
        refuseNodeStateWithoutTables(dataDir, tables);
        ClassLoader dynamoLoader = loader(emulatorsDir, "dynamodb");
        Class<?> emulator;
        try {
            emulator = Class.forName(DYNAMO_EMULATOR, true, dynamoLoader);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalArgumentException("demo --cloud needs the DynamoDB emulator, which is not shipped in lib/ "
                    + (emulatorsDir == null ? "and was not found on the class path" : "and was not found in "
                    + emulatorsDir.resolve("dynamodb"))
                    + (e instanceof LinkageError ? " (" + e + ")" : "")
                    + ". Build it once with 'mvn -q -pl emulators package' and run 'skiff demo --cloud --emulators "
                    + "emulators/target/emulators' (or set SKIFF_EMULATORS).");
        }
        // Any credentials work with the emulators; real ones, if configured, are left alone.
        if (System.getProperty("aws.accessKeyId") == null && System.getenv("AWS_ACCESS_KEY_ID") == null) {
            System.setProperty("aws.accessKeyId", "demo");
            System.setProperty("aws.secretAccessKey", "demo");
        }
        AutoCloseable server;
        URI dynamo;
        try {
            server = (AutoCloseable) emulator.getMethod("start", InetSocketAddress.class, Path.class)
                    .invoke(null, new InetSocketAddress("127.0.0.1", 0), Files.createDirectories(tables));
            dynamo = (URI) emulator.getMethod("endpoint").invoke(server);
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IOException("the DynamoDB emulator did not start on 127.0.0.1 (tables in " + tables + "): "
                    + rootCause(e), e);
        }
        System.setProperty("aws.endpointUrlDynamoDb", dynamo.toString());
        URI s3 = null;
        Object proxy = null;
        ClassLoader s3Loader = emulatorsDir == null ? CloudEmulators.class.getClassLoader() : loader(emulatorsDir, "s3proxy");
        if (s3Available(s3Loader)) {
            int s3Port = freePort();
            s3 = URI.create("http://127.0.0.1:" + s3Port);
            Thread current = Thread.currentThread();
            ClassLoader previous = current.getContextClassLoader();
            // jclouds finds its parts through the context class loader.
            current.setContextClassLoader(s3Loader);
            // S3Proxy's own Logback (in its loader) reads these: warnings only, no status dump.
            System.setProperty("LOG_LEVEL", System.getProperty("LOG_LEVEL", "warn"));
            System.setProperty("logback.statusListenerClass", System.getProperty("logback.statusListenerClass",
                    "ch.qos.logback.core.status.NopStatusListener"));
            try {
                proxy = startS3Proxy(s3Loader, Files.createDirectories(dataDir.resolve("s3proxy")), s3);
            } catch (ReflectiveOperationException | RuntimeException e) {
                closeQuietly(server);
                throw new IOException("S3Proxy did not start on " + s3 + ": " + rootCause(e), e);
            } finally {
                current.setContextClassLoader(previous);
            }
            // S3Proxy mishandles the SDK's default trailing checksums (ENVIRONMENT.md).
            System.setProperty("aws.endpointUrlS3", s3.toString());
            System.setProperty("aws.requestChecksumCalculation", "when_required");
            System.setProperty("aws.responseChecksumValidation", "when_required");
        }
        return new CloudEmulators(dynamo, server, s3, proxy);
    }

    /**
     * A data dir whose nodes have state but which holds no emulator tables (an older Skiff kept
     * them elsewhere) would make every node's amnesia guard refuse to start: say so up front.
     */
    private static void refuseNodeStateWithoutTables(Path dataDir, Path tables) {
        if (Files.isDirectory(tables)) {
            return;
        }
        for (int i = 1; i <= 3; i++) {
            if (Files.isDirectory(dataDir.resolve("n" + i).resolve("raft"))) {
                throw new IllegalArgumentException("demo --cloud: " + dataDir + " holds demo nodes' state but no DynamoDB "
                        + "emulator tables (" + tables + "), so their terms and votes are gone (it was written by an older "
                        + "version or by the demo without --cloud). Remove " + dataDir + " to start a fresh demo, or pass "
                        + "another --data-dir.");
            }
        }
    }

    /** Where the demo nodes keep term, vote, registrations and (with S3Proxy) snapshots. */
    StorageSettings storage() {
        URI snapshots = s3Endpoint == null ? null : URI.create("s3://" + BUCKET + "/snapshots?pathStyle=true");
        return new StorageSettings(CLUSTER, snapshots, URI.create("dynamodb://" + STABLE_TABLE + "?region=us-east-1"),
                URI.create("dynamodb://" + DISCOVERY_TABLE + "?cluster=" + CLUSTER + "&region=us-east-1"), null, true,
                java.time.Duration.ofSeconds(1));
    }

    private static boolean s3Available(ClassLoader loader) {
        try {
            StorageProviders.forUri(URI.create("s3://" + BUCKET), "demo --cloud");
            Class.forName(S3PROXY, false, loader);
            return true;
        } catch (IllegalArgumentException | ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** S3Proxy over a jclouds file-system blob store, as its own README starts it, by reflection. */
    private static Object startS3Proxy(ClassLoader loader, Path dir, URI endpoint) throws ReflectiveOperationException {
        Class<?> contextBuilder = Class.forName("org.jclouds.ContextBuilder", true, loader);
        Class<?> blobStoreContext = Class.forName("org.jclouds.blobstore.BlobStoreContext", true, loader);
        Properties overrides = new Properties();
        overrides.setProperty("jclouds.filesystem.basedir", dir.toAbsolutePath().toString());
        Object builder = contextBuilder.getMethod("newBuilder", String.class).invoke(null, "filesystem");
        builder = contextBuilder.getMethod("credentials", String.class, String.class).invoke(builder, "demo", "demo");
        builder = contextBuilder.getMethod("overrides", Properties.class).invoke(builder, overrides);
        Object context = contextBuilder.getMethod("build", Class.class).invoke(builder, blobStoreContext);
        Object blobStore = blobStoreContext.getMethod("getBlobStore").invoke(context);
        Class<?> s3ProxyClass = Class.forName(S3PROXY, true, loader);
        Object b = s3ProxyClass.getMethod("builder").invoke(null);
        Class<?> blobStoreType = Class.forName("org.jclouds.blobstore.BlobStore", true, loader);
        b = b.getClass().getMethod("blobStore", blobStoreType).invoke(b, blobStore);
        b = b.getClass().getMethod("endpoint", URI.class).invoke(b, endpoint);
        b = b.getClass().getMethod("ignoreUnknownHeaders", boolean.class).invoke(b, true);
        Object proxy = b.getClass().getMethod("build").invoke(b);
        s3ProxyClass.getMethod("start").invoke(proxy);
        return proxy;
    }

    /** A loader over {@code <emulators>/<sub>}, or the class path's when {@code emulatorsDir} is null. */
    private static ClassLoader loader(Path emulatorsDir, String sub) throws IOException {
        if (emulatorsDir == null) {
            return CloudEmulators.class.getClassLoader();
        }
        if (!Files.isDirectory(emulatorsDir)) {
            throw new IllegalArgumentException("--emulators " + emulatorsDir + " is not a directory (build it with "
                    + "'mvn -q -pl emulators package': emulators/target/emulators)");
        }
        Path dir = emulatorsDir.resolve(sub);
        return Files.isDirectory(dir) ? jarLoader(dir, ClassLoader.getPlatformClassLoader())
                : new URLClassLoader(new URL[0], ClassLoader.getPlatformClassLoader());
    }

    private static ClassLoader jarLoader(Path dir, ClassLoader parent) throws IOException {
        List<URL> jars = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList()) {
                try {
                    jars.add(p.toUri().toURL());
                } catch (MalformedURLException e) {
                    throw new IOException(e);
                }
            }
        }
        return new URLClassLoader(jars.toArray(URL[]::new), parent);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    private static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.toString();
    }

    private static void stopQuietly(Object server) {
        try {
            server.getClass().getMethod("stop").invoke(server);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // stopping on the way out; nothing more to do
        }
    }

    private static void closeQuietly(AutoCloseable server) {
        try {
            server.close();
        } catch (Exception e) {
            // stopping on the way out; nothing more to do
        }
    }

    /** Stops S3Proxy and the DynamoDB emulator. */
    @Override
    public void close() {
        if (s3Proxy != null) {
            stopQuietly(s3Proxy);
        }
        closeQuietly(dynamo);
    }
}
