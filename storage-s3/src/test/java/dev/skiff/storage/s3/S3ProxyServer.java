package dev.skiff.storage.s3;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * One S3Proxy (in-memory "transient" blob store) per test JVM on a free 127.0.0.1 port, and
 * clients for it built by {@link S3ClientFactory}, the way production builds them.
 *
 * <p>S3Proxy 2.6 mishandles the SDK's default trailing checksums (ENVIRONMENT.md), so the SDK's
 * own switches are set here as system properties, as an operator would set the environment
 * variables for an S3-compatible store; and S3Proxy ignores headers it does not know.
 */
final class S3ProxyServer {

    static final String BUCKET = "skiff-test";
    private static final AtomicInteger PREFIXES = new AtomicInteger();
    private static S3ProxyServer instance;

    private final S3Proxy proxy;
    private final URI endpoint;
    private final S3Client client;

    private S3ProxyServer() throws Exception {
        System.setProperty("aws.requestChecksumCalculation", "when_required");
        System.setProperty("aws.responseChecksumValidation", "when_required");
        System.setProperty("aws.accessKeyId", "test");
        System.setProperty("aws.secretAccessKey", "test");
        endpoint = URI.create("http://127.0.0.1:" + freePort());
        proxy = start("transient", new Properties(), endpoint);
        client = client(location(""), S3ClientFactory.Retries.standard(3));
        client.createBucket(b -> b.bucket(BUCKET));
    }

    /**
     * Starts an S3Proxy on {@code endpoint} over a jclouds blob store ({@code transient} in
     * memory, {@code filesystem} under {@code jclouds.filesystem.basedir}).
     */
    static S3Proxy start(String provider, Properties overrides, URI endpoint) throws Exception {
        BlobStoreContext context = ContextBuilder.newBuilder(provider).credentials("test", "test")
                .overrides(overrides).build(BlobStoreContext.class);
        S3Proxy proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(endpoint).ignoreUnknownHeaders(true)
                .build();
        proxy.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!AbstractLifeCycle.STARTED.equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("S3Proxy did not start on " + endpoint + ": " + proxy.getState());
            }
            Thread.onSpinWait();
        }
        return proxy;
    }

    /** The shared server, started on first use; it runs until the JVM exits. */
    static synchronized S3ProxyServer get() {
        if (instance == null) {
            try {
                instance = new S3ProxyServer();
            } catch (Exception e) {
                throw new IllegalStateException("cannot start S3Proxy", e);
            }
        }
        return instance;
    }

    URI endpoint() {
        return endpoint;
    }

    /** A client shared by the tests (for looking at and damaging objects behind a store's back). */
    S3Client client() {
        return client;
    }

    /** A new client for this server, built like production's but with the endpoint given. */
    S3Client client(S3Location location, S3ClientFactory.Retries retries) {
        return S3ClientFactory.create(location, name -> null,
                name -> name.equals("aws.endpointUrlS3") ? endpoint.toString() : System.getProperty(name),
                () -> Region.US_EAST_1, retries);
    }

    /** A location under a prefix no other test uses, path-style. */
    static S3Location location(String name) {
        return new S3Location(BUCKET, "tests/" + name + "-" + PREFIXES.incrementAndGet(), true, "", "",
                S3Location.MIN_PART_SIZE);
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
