package dev.skiff.storage.dynamo;

import dev.skiff.emulators.DynamoDbEmulator;
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
 * The open-source DynamoDB emulator of the emulators module (http4k-connect's fake, see
 * {@link DynamoDbEmulator}), in this JVM, in memory, on a free 127.0.0.1 port: started once
 * for all test classes and stopped when the JVM exits. Tests keep apart by table and cluster
 * names ({@link #uniqueName}).
 */
final class DynamoEmulator {

    private static DynamoEmulator instance;
    private static final AtomicInteger names = new AtomicInteger();

    final URI endpoint;

    private DynamoEmulator(URI endpoint) {
        this.endpoint = endpoint;
    }

    /** The shared emulator, started on first use. */
    static synchronized DynamoEmulator get() {
        if (instance == null) {
            try {
                DynamoDbEmulator server = DynamoDbEmulator.start(new InetSocketAddress("127.0.0.1", 0), null);
                instance = new DynamoEmulator(server.endpoint());
                Runtime.getRuntime().addShutdownHook(new Thread(server::close));
            } catch (IOException e) {
                throw new UncheckedIOException("the DynamoDB emulator did not start on 127.0.0.1", e);
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
