package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps the README's first command true: {@code skiff demo} (as a real process) forms a
 * cluster, every {@code curl} line it prints works exactly as printed, and SIGTERM stops it
 * with exit code 0.
 */
class DemoCommandTest {

    @TempDir
    Path dir;

    @Test
    void demoStartsAndItsPrintedCurlLinesWork() throws Exception {
        int apiPort = freeRange(3);
        int raftPort = freeRange(3);
        int consulPort = freeRange(3);
        Path log = dir.resolve("demo.log");
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1"));
        if (Runtime.version().feature() >= 24) {
            cmd.add("--sun-misc-unsafe-memory-access=allow");
        }
        // The production logging config (to stderr, i.e. the log file), not the test one.
        Path mainLogback = Path.of(DemoCommandTest.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolveSibling("classes").resolve("logback.xml");
        if (Files.exists(mainLogback)) {
            cmd.add("-Dlogback.configurationFile=" + mainLogback);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.skiff.cli.Main", "demo",
                "--data-dir", dir.resolve("data").toString(), "--api-port", Integer.toString(apiPort),
                "--raft-port", Integer.toString(raftPort), "--consul-port", Integer.toString(consulPort)));
        Process demo = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
        try {
            List<String> curls = new ArrayList<>();
            List<String> exports = new ArrayList<>();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null && !line.contains("Ctrl-C")) {
                    if (line.trim().startsWith("curl ")) {
                        curls.add(line.trim());
                    }
                    if (line.trim().startsWith("export ")) {
                        exports.add(line.trim());
                    }
                }
                assertThat(line).as("demo output (log: %s)", Files.exists(log) ? Files.readString(log) : "").isNotNull();
            }
            assertThat(curls).hasSizeGreaterThanOrEqualTo(4);
            List<String> answers = new ArrayList<>();
            for (String curl : curls) {
                Process p = new ProcessBuilder("bash", "-c", curl + " -w ' HTTP%{http_code}'").redirectErrorStream(true).start();
                String answer = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
                answers.add(answer);
            }
            // put; get via another node; consistent get; create-only put (412: the key exists); list; status
            assertThat(answers.get(0)).matches("\\{\"index\":\\d+\\} HTTP200");
            assertThat(answers.get(1)).isEqualTo("hello, skiff HTTP200");
            assertThat(answers.get(2)).isEqualTo("hello, skiff HTTP200");
            assertThat(answers.get(3)).contains("cas_mismatch").endsWith("HTTP412");
            assertThat(answers.get(4)).contains("\"key\":\"greeting\"").endsWith("HTTP200");
            assertThat(answers.get(5)).contains("\"state\":\"leader\"").endsWith("HTTP200");
            // The Consul-compatible listener: the address Consul's clients are told, and a put through it.
            assertThat(exports).containsExactly("export CONSUL_HTTP_ADDR=127.0.0.1:" + consulPort);
            assertThat(answers.get(6)).isEqualTo("true HTTP200");
        } finally {
            demo.toHandle().destroy(); // SIGTERM
            boolean exited = demo.waitFor(30, TimeUnit.SECONDS);
            if (!exited) {
                demo.destroyForcibly();
            }
            assertThat(exited).isTrue();
        }
        assertThat(demo.exitValue()).as("exit code after SIGTERM").isZero();
    }

    /** A port p such that p..p+n-1 are free on 127.0.0.1 right now. */
    static int freeRange(int n) throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base;
            try (ServerSocket s = new ServerSocket(0)) {
                base = s.getLocalPort();
            }
            if (base + n > 65535) {
                continue;
            }
            boolean free = true;
            for (int i = 1; i < n && free; i++) {
                try (ServerSocket s = new ServerSocket(base + i, 1, java.net.InetAddress.getLoopbackAddress())) {
                    free = true;
                } catch (IOException e) {
                    free = false;
                }
            }
            if (free) {
                return base;
            }
        }
        throw new IOException("no free port range of " + n);
    }
}
