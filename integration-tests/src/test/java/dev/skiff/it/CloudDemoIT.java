package dev.skiff.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.it.cluster.EmulatorProcess;
import dev.skiff.it.cluster.FreePorts;
import dev.skiff.it.cluster.HttpReply;
import dev.skiff.it.cluster.NodeClient;
import dev.skiff.it.cluster.NodeProcess;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code skiff demo --cloud --emulators emulators/target/emulators} as a newcomer runs it (a real
 * process): the DynamoDB emulator and S3Proxy start inside it, the three nodes form through the
 * discovery table, a snapshot lands in S3Proxy, and SIGTERM stops everything with exit code 0.
 */
class CloudDemoIT {

    @TempDir
    Path dir;

    @Test
    void when_theDemoRunsOnTheEmulators_then_itFormsAndItsSnapshotsGoToS3() throws Exception {
        int apiPort = FreePorts.nextRange(3);
        int raftPort = FreePorts.nextRange(3);
        Path log = dir.resolve("demo.log");
        Process demo = NodeProcess.skiff(List.of("demo", "--cloud", "--emulators", EmulatorProcess.emulatorsDir().toString(),
                        "--data-dir", dir.resolve("data").toString(), "--api-port", Integer.toString(apiPort),
                        "--raft-port", Integer.toString(raftPort)))
                .redirectError(log.toFile()).start();
        try {
            List<String> printed = new ArrayList<>();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null && !line.contains("Ctrl-C")) {
                    printed.add(line.trim());
                }
                assertThat(line).as("demo output %s (log: %s)", printed, Files.exists(log) ? Files.readString(log) : "")
                        .isNotNull();
            }
            assertThat(printed).anyMatch(l -> l.startsWith("S3Proxy http://127.0.0.1:") && l.contains("s3://skiff-demo/snapshots"))
                    .anyMatch(l -> l.startsWith("DynamoDB emulator http://127.0.0.1:"));

            HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build();
            NodeClient n1 = new NodeClient(http, "http://127.0.0.1:" + apiPort, Duration.ofSeconds(20));
            assertThat(n1.put("greeting", "hello, skiff").status()).isEqualTo(200);
            String leaderApi = n1.status().path("leader").path("apiAddress").asText();
            HttpReply snapshot = new NodeClient(http, "http://" + leaderApi, Duration.ofSeconds(60)).send("POST", "/v1/snapshot", null);
            assertThat(snapshot.status()).as(snapshot.toString()).isEqualTo(200);
            assertThat(Files.readString(log)).contains("s3://skiff-demo");
            assertThat(n1.status().path("storage").path("snapshots").asText("ok")).isEqualTo("ok");
            System.out.println("cloud demo: formed on the DynamoDB emulator, snapshot " + snapshot.json().path("id").asText() + " in S3Proxy");
        } finally {
            demo.toHandle().destroy(); // SIGTERM
            boolean exited = demo.waitFor(60, TimeUnit.SECONDS);
            if (!exited) {
                demo.destroyForcibly();
            }
            assertThat(exited).isTrue();
        }
        assertThat(demo.exitValue()).as("exit code after SIGTERM").isZero();
    }
}
