package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.raft.Server;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code skiff demo --cloud}: the DynamoDB emulator from the class path, three identical nodes, one cluster. */
class CloudDemoTest {

    @TempDir
    Path tmp;

    @Test
    void when_cloudDemoStarts_then_threeNodesFormThroughTheEmulatedDiscoveryTable() throws Exception {
        int apiBase = freeRun();
        int raftBase = freeRun();
        try (CloudEmulators emulators = CloudEmulators.start(tmp, null)) {
            List<SkiffNode> nodes = DemoCommand.startNodes(tmp, apiBase, raftBase, emulators);
            try {
                DemoCommand.awaitFormed(nodes, Duration.ofSeconds(60));
                assertThat(nodes.get(0).raft.configuration().voters()).extracting(Server::id)
                        .containsExactlyInAnyOrder("n1", "n2", "n3");
                HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
                HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + (apiBase + 1) + "/v1/kv/greeting"))
                        .PUT(HttpRequest.BodyPublishers.ofString("hello, skiff")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
                assertThat(emulators.storage().stable().toString()).startsWith("dynamodb://skiff-demo-stable");
            } finally {
                nodes.forEach(n -> n.close(false));
            }
        }
    }

    /** A base port with three free ports after it. */
    private static int freeRun() throws IOException {
        for (int attempt = 0; attempt < 100; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(20_000, 60_000);
            if (free(base) && free(base + 1) && free(base + 2)) {
                return base;
            }
        }
        throw new IOException("no three consecutive free ports found");
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
