package dev.skiff.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.it.cluster.ClusterExtension;
import dev.skiff.it.cluster.ClusterOptions;
import dev.skiff.it.cluster.NodeProcess;
import dev.skiff.it.cluster.ProcessCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Exit codes of {@code skiff node} (API.md §1): 2 for a bad flag, naming it; 0 after SIGTERM. */
class CommandLineIT {

    @RegisterExtension
    final ClusterExtension clusters = ClusterExtension.perTest();

    @TempDir
    Path workDir;

    private record BadFlag(List<String> args, Map<String, String> env, String named) {
    }

    @Test
    void when_aFlagIsBad_then_theNodeExitsWith2AndNamesTheFlag() throws Exception {
        List<String> node = List.of("node", "--id", "x", "--data-dir", workDir.resolve("x").toString());
        List<BadFlag> cases = List.of(
                new BadFlag(plus(node, "--no-such-flag"), Map.of(), "--no-such-flag"),
                new BadFlag(List.of("node"), Map.of(), "--id"),
                new BadFlag(plus(node, "--api-addr", "nonsense"), Map.of(), "--api-addr"),
                new BadFlag(plus(node, "--raft-addr", "127.0.0.1:99999"), Map.of(), "--raft-addr"),
                new BadFlag(plus(node, "--election-timeout", "soon"), Map.of(), "--election-timeout"),
                new BadFlag(plus(node, "--max-value-bytes", "0"), Map.of(), "--max-value-bytes"),
                new BadFlag(plus(node, "--cluster-secret-file", workDir.resolve("missing").toString()), Map.of(), "--cluster-secret-file"),
                new BadFlag(plus(node, "--join", "http://"), Map.of(), "--join"),
                new BadFlag(node, Map.of("SKIFF_API_ADDR", "not-an-address"), "--api-addr"));
        List<Process> running = new ArrayList<>();
        for (BadFlag c : cases) {
            ProcessBuilder pb = NodeProcess.skiff(c.args()).directory(workDir.toFile()).redirectErrorStream(true);
            pb.environment().putAll(c.env());
            running.add(pb.start());
        }
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            Process p = running.get(i);
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                problems.add(cases.get(i) + ": still running after 60 s");
                continue;
            }
            if (p.exitValue() != 2 || !out.contains(cases.get(i).named())) {
                problems.add(cases.get(i) + ": exit " + p.exitValue() + ", output: " + out);
            }
        }
        assertThat(problems).as("bad flags that did not exit 2 naming the flag").isEmpty();
        assertThat(workDir.resolve("data")).doesNotExist();
    }

    @Test
    void when_nodesGetSigterm_then_theyExit0AndALeaderHandsOver() throws IOException {
        ProcessCluster cluster = clusters.start(3, ClusterOptions.defaults());
        NodeProcess leader = cluster.awaitLeader();
        long logOffset = leader.logSize();
        assertThat(cluster.nodes().get(1).client().put("sigterm/before", "v").status()).isEqualTo(200);

        assertThat(leader.terminate(Duration.ofSeconds(20))).as("exit code of the leader after SIGTERM").isZero();
        assertThat(leader.logSince(logOffset)).contains("handed leadership over");
        NodeProcess next = cluster.awaitLeader();
        assertThat(next).isNotEqualTo(leader);
        assertThat(next.client().put("sigterm/after", "v").status()).isEqualTo(200);

        NodeProcess follower = cluster.nodes().stream().filter(n -> n != leader && n != next).findFirst().orElseThrow();
        assertThat(follower.terminate(Duration.ofSeconds(20))).as("exit code of a follower after SIGTERM").isZero();
        assertThat(Files.exists(leader.dataDir())).isTrue();
    }

    private static List<String> plus(List<String> base, String... more) {
        List<String> all = new ArrayList<>(base);
        all.addAll(List.of(more));
        return all;
    }
}
