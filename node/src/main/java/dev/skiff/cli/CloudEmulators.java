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
 * DynamoDB Local (stable store and discovery table) and, when the storage-s3 module and
 * S3Proxy are both present, S3Proxy (snapshots); otherwise snapshots stay on local disk.
 *
 * <p>The emulators are not in {@code lib/} (DynamoDB Local and its dependencies would double
 * the distribution's size for a demo): they come from a directory of jars ({@code --emulators},
 * built by {@code mvn -pl emulators package} into {@code emulators/target/emulators}, with
 * S3Proxy's self-contained jar in its {@code s3proxy/} subdirectory) or from the class path,
 * and are reached by reflection so that the node has no compile-time dependency on them.
 * S3Proxy gets a class loader of its own whose parent is the platform loader: its jar carries
 * its own Jackson, Logback and HTTP client, which must not shadow the node's. Data lives under the demo's data dir, so a second run finds the state
 * of the first.
 *
 * <p>Not thread-safe; one per demo.
 */
final class CloudEmulators implements AutoCloseable {

    static final String DYNAMO_RUNNER = "com.amazonaws.services.dynamodbv2.local.main.ServerRunner";
    static final String S3PROXY = "org.gaul.s3proxy.S3Proxy";
    static final String STABLE_TABLE = "skiff-demo-stable";
    static final String DISCOVERY_TABLE = "skiff-demo-discovery";
    static final String BUCKET = "skiff-demo";
    static final String CLUSTER = "demo";

    final URI dynamoEndpoint;
    /** The S3Proxy endpoint, or null when snapshots stay local. */
    final URI s3Endpoint;
    private final Object dynamoServer;
    private final Object s3Proxy;

    private CloudEmulators(URI dynamoEndpoint, Object dynamoServer, URI s3Endpoint, Object s3Proxy) {
        this.dynamoEndpoint = dynamoEndpoint;
        this.dynamoServer = dynamoServer;
        this.s3Endpoint = s3Endpoint;
        this.s3Proxy = s3Proxy;
    }

    /**
     * Starts the emulators.
     *
     * @param emulatorsDir a directory of emulator jars (and the sqlite4java native library), or
     *                     null to use the class path
     * @throws IllegalArgumentException (exit 2) naming what is missing and how to get it
     */
    static CloudEmulators start(Path dataDir, Path emulatorsDir) throws IOException {
        StorageProviders.forUri(URI.create("dynamodb://" + STABLE_TABLE), "demo --cloud");
        ClassLoader loader = loader(emulatorsDir);
        // DynamoDB Local (log4j) and jclouds find their parts through the context class loader.
        Thread current = Thread.currentThread();
        ClassLoader previous = current.getContextClassLoader();
        current.setContextClassLoader(loader);
        try {
            return start(dataDir, emulatorsDir, loader);
        } finally {
            current.setContextClassLoader(previous);
        }
    }

    private static CloudEmulators start(Path dataDir, Path emulatorsDir, ClassLoader loader) throws IOException {
        Class<?> runner;
        try {
            runner = Class.forName(DYNAMO_RUNNER, true, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalArgumentException("demo --cloud needs the DynamoDB Local emulator, which is not shipped in lib/ "
                    + (emulatorsDir == null ? "and was not found on the class path" : "and was not found in " + emulatorsDir)
                    + (e instanceof LinkageError ? " (" + e + ")" : "")
                    + ". Build it once with 'mvn -q -pl emulators package' and run 'skiff demo --cloud --emulators "
                    + "emulators/target/emulators' (or set SKIFF_EMULATORS).");
        }
        if (System.getProperty("sqlite4java.library.path") == null) {
            if (emulatorsDir == null) {
                throw new IllegalArgumentException("demo --cloud: DynamoDB Local needs the sqlite4java native library; pass "
                        + "--emulators emulators/target/emulators (built by 'mvn -q -pl emulators package')");
            }
            System.setProperty("sqlite4java.library.path", emulatorsDir.toAbsolutePath().toString());
        }
        // Any credentials work with the emulators; real ones, if configured, are left alone.
        if (System.getProperty("aws.accessKeyId") == null && System.getenv("AWS_ACCESS_KEY_ID") == null) {
            System.setProperty("aws.accessKeyId", "demo");
            System.setProperty("aws.secretAccessKey", "demo");
        }
        Path dynamoDir = Files.createDirectories(dataDir.resolve("dynamodb-local"));
        int dynamoPort = freePort();
        Object server;
        try {
            server = runner.getMethod("createServerFromCommandLineArgs", String[].class).invoke(null, (Object) new String[] {
                    "-dbPath", dynamoDir.toAbsolutePath().toString(), "-port", Integer.toString(dynamoPort), "-disableTelemetry"});
            server.getClass().getMethod("start").invoke(server);
        } catch (ReflectiveOperationException e) {
            throw new IOException("DynamoDB Local did not start on 127.0.0.1:" + dynamoPort + ": " + rootCause(e), e);
        }
        URI dynamo = URI.create("http://127.0.0.1:" + dynamoPort);
        System.setProperty("aws.endpointUrlDynamoDb", dynamo.toString());
        URI s3 = null;
        Object proxy = null;
        ClassLoader s3Loader = s3ProxyLoader(emulatorsDir, loader);
        if (s3Available(s3Loader)) {
            int s3Port = freePort();
            s3 = URI.create("http://127.0.0.1:" + s3Port);
            Thread current = Thread.currentThread();
            ClassLoader previous = current.getContextClassLoader();
            current.setContextClassLoader(s3Loader);
            // S3Proxy's own Logback (in its loader) reads these: warnings only, no status dump.
            System.setProperty("LOG_LEVEL", System.getProperty("LOG_LEVEL", "warn"));
            System.setProperty("logback.statusListenerClass", System.getProperty("logback.statusListenerClass",
                    "ch.qos.logback.core.status.NopStatusListener"));
            try {
                proxy = startS3Proxy(s3Loader, Files.createDirectories(dataDir.resolve("s3proxy")), s3);
            } catch (ReflectiveOperationException | RuntimeException e) {
                stopQuietly(server);
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

    private static ClassLoader loader(Path dir) throws IOException {
        ClassLoader parent = CloudEmulators.class.getClassLoader();
        if (dir == null) {
            return parent;
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("--emulators " + dir + " is not a directory (build it with 'mvn -q -pl emulators package')");
        }
        return jarLoader(dir, parent);
    }

    /** S3Proxy's own loader over {@code <emulators>/s3proxy}, or {@code fallback} when there is no such directory. */
    private static ClassLoader s3ProxyLoader(Path emulatorsDir, ClassLoader fallback) throws IOException {
        Path dir = emulatorsDir == null ? null : emulatorsDir.resolve("s3proxy");
        return dir != null && Files.isDirectory(dir) ? jarLoader(dir, ClassLoader.getPlatformClassLoader()) : fallback;
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

    /** Stops S3Proxy and DynamoDB Local. */
    @Override
    public void close() {
        if (s3Proxy != null) {
            stopQuietly(s3Proxy);
        }
        stopQuietly(dynamoServer);
    }
}
