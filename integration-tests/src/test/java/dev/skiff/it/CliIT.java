package dev.skiff.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.it.cluster.ClusterExtension;
import dev.skiff.it.cluster.ClusterOptions;
import dev.skiff.it.cluster.FreePorts;
import dev.skiff.it.cluster.Launcher;
import dev.skiff.it.cluster.Launcher.Run;
import dev.skiff.it.cluster.ProcessCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution's launcher ({@code dist/target/skiff-VERSION/bin/skiff}, built by the reactor
 * before this module) as a user runs it, against a real node: binary values byte for byte,
 * {@code @file} arguments, {@code --endpoints} failover (API.md §10).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliIT {

    @RegisterExtension
    static final ClusterExtension clusters = ClusterExtension.perClass();

    @TempDir
    Path dir;

    private ProcessCluster cluster;
    private String endpoint;

    @BeforeAll
    void startNode() {
        cluster = clusters.start(1, ClusterOptions.defaults());
        endpoint = "127.0.0.1:" + cluster.nodes().get(0).apiPort();
    }

    private Run skiff(byte[] stdin, String... args) throws Exception {
        return Launcher.run(dir, Map.of(), stdin, Duration.ofSeconds(120), args);
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void when_aMibOfRandomBytesIsPutFromAFile_then_kvGetWritesExactlyThoseBytes() throws Exception {
        byte[] value = random(1 << 20, 1);
        Path file = dir.resolve("value.bin");
        Files.write(file, value);

        Run put = skiff(null, "kv", "put", "cli/file", "--file", file.toString(), "--endpoints", endpoint);
        assertThat(put.code()).as(put.stderr()).isZero();
        assertThat(put.out()).matches("\\{\"index\":\\d+}\\s*");

        Run get = skiff(null, "kv", "get", "cli/file", "--endpoints", endpoint);
        assertThat(get.code()).as(get.stderr()).isZero();
        assertThat(get.stdout()).hasSize(value.length).isEqualTo(value);
    }

    @Test
    void when_aMibOfRandomBytesIsPutFromStdin_then_kvGetWritesExactlyThoseBytes() throws Exception {
        byte[] value = random(1 << 20, 2);
        Run put = skiff(value, "kv", "put", "cli/stdin", "-", "--endpoints", endpoint);
        assertThat(put.code()).as(put.stderr()).isZero();

        Run get = skiff(null, "kv", "get", "cli/stdin", "--consistency", "consistent", "--endpoints", endpoint);
        assertThat(get.code()).as(get.stderr()).isZero();
        assertThat(get.stdout()).hasSize(value.length).isEqualTo(value);

        Run detailed = skiff(null, "kv", "get", "cli/stdin", "--detailed", "-o", "table", "--endpoints", endpoint);
        assertThat(detailed.out()).contains("modifyIndex").contains("1048576 bytes").contains("<binary");
    }

    @Test
    void when_aValueStartsWithAt_then_itIsRefusedClearly_andNothingIsWritten() throws Exception {
        Path binary = dir.resolve("args.bin");
        Files.write(binary, random(4096, 3));
        Run put = skiff(null, "kv", "put", "cli/at", "@" + binary, "--endpoints", endpoint);
        assertThat(put.code()).isEqualTo(2);
        assertThat(put.stderr()).contains("starts with '@'").contains("--file " + binary);
        assertThat(skiff(null, "kv", "get", "cli/at", "--endpoints", endpoint).code()).isEqualTo(1);

        // a key starting with '@' is just a key: nothing is expanded
        assertThat(skiff("v".getBytes(StandardCharsets.UTF_8), "kv", "put", "@" + binary, "-", "--endpoints", endpoint).code()).isZero();
        assertThat(skiff(null, "kv", "get", "@" + binary, "--endpoints", endpoint).out()).isEqualTo("v");
    }

    @Test
    void when_theFirstEndpointIsDown_then_theCommandUsesTheNext() throws Exception {
        String dead = "127.0.0.1:" + FreePorts.next();
        Run put = skiff("failover".getBytes(StandardCharsets.UTF_8), "kv", "put", "cli/failover", "-",
                "--endpoints", dead + "," + endpoint, "--verbose");
        assertThat(put.code()).as(put.stderr()).isZero();
        assertThat(put.stderr()).contains("retrying PUT").contains(dead);
        assertThat(skiff(null, "kv", "get", "cli/failover", "--endpoints", dead + "," + endpoint).out()).isEqualTo("failover");

        Run nobody = skiff(null, "kv", "get", "cli/failover", "--endpoints", dead, "--retry-for", "1s");
        assertThat(nobody.code()).isEqualTo(1);
        assertThat(nobody.stderr()).contains(dead).contains("--endpoints");
    }

    @Test
    void when_aSnapshotIsSavedIntoAMissingDirectory_then_theMessageSaysSo() throws Exception {
        Run save = skiff(null, "snapshot", "save", dir.resolve("missing/dir/x.snap").toString(), "--endpoints", endpoint);
        assertThat(save.code()).isEqualTo(2);
        assertThat(save.stderr()).contains("directory " + dir.resolve("missing/dir") + " does not exist");

        Run ok = skiff(null, "snapshot", "save", dir.resolve("x.snap").toString(), "--endpoints", endpoint);
        assertThat(ok.code()).as(ok.stderr()).isZero();
        assertThat(dir.resolve("x.snap")).isNotEmptyFile();
    }
}
