package dev.skiff.storage.dynamo;

import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * DynamoDB Local, in this JVM, in memory, on a free 127.0.0.1 port: started once for all test
 * classes (it takes a couple of seconds) and stopped when the JVM exits. Tests keep apart by
 * table and cluster names ({@link #uniqueName}).
 */
final class DynamoLocal {

    private static DynamoLocal instance;
    private static final AtomicInteger names = new AtomicInteger();

    final URI endpoint;
    private final DynamoDBProxyServer server;

    private DynamoLocal(URI endpoint, DynamoDBProxyServer server) {
        this.endpoint = endpoint;
        this.server = server;
    }

    /** The shared emulator, started on first use. */
    static synchronized DynamoLocal get() {
        if (instance == null) {
            if (System.getProperty("sqlite4java.library.path") == null) {
                throw new IllegalStateException("sqlite4java.library.path is not set: run the tests through Maven "
                        + "(storage-dynamo/pom.xml copies the native library and sets it)");
            }
            int port = freePort();
            try {
                DynamoDBProxyServer server = ServerRunner.createServerFromCommandLineArgs(
                        new String[] {"-inMemory", "-port", Integer.toString(port), "-disableTelemetry"});
                server.start();
                instance = new DynamoLocal(URI.create("http://127.0.0.1:" + port), server);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        server.stop();
                    } catch (Exception e) {
                        // the JVM is exiting
                    }
                }));
            } catch (Exception e) {
                throw new IllegalStateException("DynamoDB Local did not start on 127.0.0.1:" + port + ": " + e, e);
            }
        }
        return instance;
    }

    /** A new client of the emulator (any credentials work). */
    DynamoDbClient client() {
        return DynamoDbClient.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .overrideConfiguration(DynamoClients.overrides())
                .build();
    }

    /** A table or cluster name no other test uses. */
    static String uniqueName(String prefix) {
        return prefix + "-" + names.incrementAndGet() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
