package dev.skiff.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.ecwid.consul.v1.ConsulClient;
import com.ecwid.consul.v1.QueryParams;
import com.ecwid.consul.v1.Response;
import com.ecwid.consul.v1.kv.model.GetValue;
import dev.skiff.it.cluster.ClusterExtension;
import dev.skiff.it.cluster.ClusterOptions;
import dev.skiff.it.cluster.HttpReply;
import dev.skiff.it.cluster.NodeClient;
import dev.skiff.it.cluster.NodeProcess;
import dev.skiff.it.cluster.ProcessCluster;
import java.io.File;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real Consul clients, unchanged, against the Consul-compatible listener of a 3-node cluster of
 * processes (issue #14 item 5): Terraform's built-in {@code consul} state backend (state,
 * locking, a leader {@code kill -9} between applies), Debian's python3-consul, and the Java
 * client Spring Cloud Consul uses (com.ecwid.consul:consul-api).
 */
class ConsulClientsIT {

    private static final Pattern CONSUL_LISTENING = Pattern.compile("Consul-compatible API listening on 127\\.0\\.0\\.1:(\\d+)");

    @RegisterExtension
    static final ClusterExtension clusters = ClusterExtension.perClass();

    private static ProcessCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = clusters.start(3, ClusterOptions.defaults().withFlags(KvApiIT.STEADY)
                .withFlags("--consul-addr", "127.0.0.1:0"));
        cluster.awaitLeader();
    }

    /**
     * The port a node's Consul listener bound in its current run (it was given port 0, so a
     * restarted node has a new one), from the node's log after its last start marker.
     */
    static int consulPort(NodeProcess node) {
        return Awaitility.await().atMost(ProcessCluster.DEFAULT_WAIT).until(() -> {
            String log = node.logTail(2000);
            Matcher m = CONSUL_LISTENING.matcher(log.substring(Math.max(0, log.lastIndexOf("==== starting "))));
            int port = -1;
            while (m.find()) {
                port = Integer.parseInt(m.group(1));
            }
            return port;
        }, p -> p > 0);
    }

    private static NodeProcess aFollower() {
        NodeProcess leader = cluster.awaitLeader();
        return cluster.nodes().stream().filter(n -> n != leader && n.isRunning()).findFirst().orElseThrow();
    }

    // ------------------------------------------------------------------ Terraform

    private record Run(int exit, String output) {
    }

    private static Run terraform(Path dir, String consulAddr, Duration timeout, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("terraform"));
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile(dir, "tf", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.put("CONSUL_HTTP_ADDR", consulAddr);
        env.put("CHECKPOINT_DISABLE", "1");
        env.put("TF_IN_AUTOMATION", "1");
        env.put("TF_INPUT", "0");
        Process p = pb.start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("terraform " + String.join(" ", args) + " did not finish in " + timeout + ":\n"
                    + Files.readString(log));
        }
        String out = Files.readString(log);
        System.out.println("--- terraform " + String.join(" ", args) + " (exit " + p.exitValue() + ")\n" + out);
        return new Run(p.exitValue(), out);
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void terraform_consulBackend_statesLocksAndSurvivesLeaderKill(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(onPath("terraform"), "ConsulClientsIT: Terraform test skipped: no terraform binary on PATH");
        Files.writeString(dir.resolve("main.tf"), """
                terraform {
                  backend "consul" {
                    path = "skiff/tfstate"
                  }
                }
                variable "v" { default = "one" }
                variable "hold" { default = "0" }
                resource "terraform_data" "x" {
                  input            = var.v
                  triggers_replace = var.v
                  provisioner "local-exec" {
                    command = "sleep ${var.hold}"
                  }
                }
                output "v" { value = terraform_data.x.output }
                """);
        NodeProcess follower = aFollower();
        String addr = "127.0.0.1:" + consulPort(follower);
        Duration limit = Duration.ofMinutes(2);
        assertThat(terraform(dir, addr, limit, "init", "-no-color").exit()).isZero();
        Run first = terraform(dir, addr, limit, "apply", "-auto-approve", "-no-color");
        assertThat(first.exit()).isZero();
        assertThat(first.output()).contains("v = \"one\"");
        Run change = terraform(dir, addr, limit, "apply", "-auto-approve", "-no-color", "-var", "v=two");
        assertThat(change.exit()).isZero();
        assertThat(change.output()).contains("\"one\" -> \"two\"").contains("v = \"two\"");

        // A second apply while the first holds the lock fails with Terraform's lock error.
        CompletableFuture<Run> holder = CompletableFuture.supplyAsync(() -> {
            try {
                return terraform(dir, addr, limit, "apply", "-auto-approve", "-no-color", "-var", "v=three", "-var", "hold=8");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> follower.client().get("skiff/tfstate/.lock", "stale").status() == 200);
        Run second = terraform(dir, addr, limit, "apply", "-auto-approve", "-no-color", "-var", "v=four");
        assertThat(second.exit()).isNotZero();
        assertThat(second.output()).contains("Error acquiring the state lock").contains("Lock Info:");
        Run held = holder.get(2, TimeUnit.MINUTES);
        assertThat(held.exit()).isZero();
        assertThat(held.output()).contains("v = \"three\"");

        // The state survives the leader's kill -9 between two applies.
        NodeProcess leader = cluster.awaitLeader();
        if (leader == follower) {
            throw new AssertionError("the follower became leader; the test needs the leader to be another node");
        }
        cluster.kill9(leader);
        cluster.awaitLeader(Duration.ofSeconds(30));
        Run after = terraform(dir, addr, limit, "apply", "-auto-approve", "-no-color", "-var", "v=five");
        assertThat(after.exit()).isZero();
        assertThat(after.output()).contains("\"three\" -> \"five\"").contains("v = \"five\"");
        Run output = terraform(dir, addr, limit, "output", "-raw", "v");
        assertThat(output.output().trim()).endsWith("five");
        cluster.restart(leader);
        cluster.awaitMembers(3);
    }

    // ------------------------------------------------------------------ a follower's writes

    /**
     * On a follower, key writes, deletes and transactions of both front ends go to the leader as
     * Raft commands over the raft transport (no HTTP request per write); only what needs the
     * leader's clock or session timers (here a session and a lock acquisition) still goes to
     * the leader's api port.
     */
    @Test
    void onAFollower_writesAndTransactionsTakeTheRaftTransport_andOnlyLocksAndSessionsTheLeadersApi() {
        NodeProcess follower = aFollower();
        NodeClient consul = new NodeClient(HttpClient.newHttpClient(), "http://127.0.0.1:" + consulPort(follower),
                Duration.ofSeconds(20));
        double httpBefore = metric(follower, "skiff_http_forwarded_total");
        double raftBefore = metric(follower, "skiff_raft_forwarded_commands_total");

        assertThat(consul.send("PUT", "/v1/kv/fwd/a?flags=7", bytes("1")).text()).isEqualTo("true");
        HttpReply txn = consul.send("PUT", "/v1/txn", bytes("""
                [{"KV": {"Verb": "set", "Key": "fwd/b", "Value": "Mg=="}}, {"KV": {"Verb": "delete", "Key": "fwd/a"}}]"""));
        assertThat(txn.status()).as(txn.text()).isEqualTo(200);
        assertThat(consul.send("PUT", "/v1/kv/fwd/c?cas=0", bytes("3")).text()).isEqualTo("true");
        assertThat(consul.send("DELETE", "/v1/kv/fwd/c", null).text()).isEqualTo("true");
        HttpReply flagged = follower.client().send("PUT", "/v1/kv/fwd/d?flags=3", bytes("4"));
        assertThat(flagged.status()).as(flagged.text()).isEqualTo(200);
        HttpReply nativeTxn = follower.client().send("POST", "/v1/txn", bytes("""
                {"compare": [{"key": "fwd/b", "exists": true}], "success": [{"op": "put", "key": "fwd/e", "value": "NQ=="}],
                 "failure": []}"""));
        assertThat(nativeTxn.status()).as(nativeTxn.text()).isEqualTo(200);
        assertThat(nativeTxn.json().get("succeeded").asBoolean()).isTrue();
        HttpReply deleted = follower.client().send("DELETE", "/v1/kv/?prefix=fwd/", null);
        assertThat(deleted.status()).as(deleted.text()).isEqualTo(200);
        assertThat(deleted.json().get("deleted").asLong()).isEqualTo(3); // fwd/b, fwd/d, fwd/e

        assertThat(metric(follower, "skiff_http_forwarded_total")).as("HTTP requests forwarded").isEqualTo(httpBefore);
        assertThat(metric(follower, "skiff_raft_forwarded_commands_total") - raftBefore).as("Raft commands forwarded")
                .isGreaterThanOrEqualTo(7);

        String session = follower.client().createSession("fwd").json().get("id").asText();
        assertThat(consul.send("PUT", "/v1/kv/fwd/lock?acquire=" + session, bytes("held")).text()).isEqualTo("true");
        assertThat(metric(follower, "skiff_http_forwarded_total") - httpBefore).as("the session and the acquisition")
                .isEqualTo(2);
        assertThat(consul.send("PUT", "/v1/kv/fwd/lock?release=" + session, bytes("")).text()).isEqualTo("true");
        assertThat(metric(follower, "skiff_http_forwarded_total") - httpBefore).as("a release reads no clock").isEqualTo(2);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** The sum of a metric's samples (every label set) on {@code node}, 0 if it has none yet. */
    private static double metric(NodeProcess node, String name) {
        HttpReply reply = node.client().send("GET", "/metrics", null);
        assertThat(reply.status()).isEqualTo(200);
        double sum = 0;
        for (String line : reply.text().split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    // ------------------------------------------------------------------ python3-consul

    @Test
    void pythonConsul_kvTxnSessionsLocksAndBlockingQuery() throws Exception {
        String why = ensurePythonConsul();
        Assumptions.assumeTrue(why == null, "ConsulClientsIT: python3-consul test skipped: " + why);
        Path script = Path.of("src", "test", "resources", "consul", "python_consul_check.py").toAbsolutePath();
        NodeProcess node = aFollower();
        Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), "127.0.0.1", Integer.toString(consulPort(node)))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        System.out.println(out);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("ALL OK");
    }

    /** Runs {@code bin/ensure-python-consul}; null when python3-consul is there, else why not. */
    private static String ensurePythonConsul() throws IOException, InterruptedException {
        Path script = Path.of("bin", "ensure-python-consul").toAbsolutePath();
        Process p = new ProcessBuilder("sh", script.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            return script + " did not finish within 15 minutes (apt-get hanging?)";
        }
        if (p.exitValue() != 0) {
            List<String> lines = out.lines().toList();
            return lines.isEmpty() ? script + " exited " + p.exitValue() : lines.getLast();
        }
        return null;
    }

    // ------------------------------------------------------------------ Java client

    @Test
    void javaConsulClient_readsConfigAndSeesAChangeThroughABlockingQueryWithinOneSecond() throws Exception {
        NodeProcess node = aFollower();
        ConsulClient client = new ConsulClient("127.0.0.1", consulPort(node));
        client.setKVValue("config/app/data", "greeting: hello");
        Response<List<GetValue>> first = client.getKVValues("config/app/", QueryParams.DEFAULT);
        assertThat(first.getValue()).extracting(GetValue::getDecodedValue).containsExactly("greeting: hello");
        long index = first.getConsulIndex();
        assertThat(index).isPositive();

        // What Spring Cloud Consul Config's watch does: a blocking query on the prefix.
        CompletableFuture<Response<List<GetValue>>> watch = CompletableFuture.supplyAsync(() ->
                client.getKVValues("config/app/", new QueryParams(30, index)));
        Thread.sleep(300);
        assertThat(watch).isNotDone();
        long changed = System.nanoTime();
        new ConsulClient("127.0.0.1", consulPort(cluster.awaitLeader())).setKVValue("config/app/data", "greeting: changed");
        Response<List<GetValue>> seen = watch.get(5, TimeUnit.SECONDS);
        long millis = (System.nanoTime() - changed) / 1_000_000;
        System.out.println("ConsulClientsIT: the Java client's blocking query saw the change after " + millis + " ms");
        assertThat(seen.getValue()).extracting(GetValue::getDecodedValue).containsExactly("greeting: changed");
        assertThat(seen.getConsulIndex()).isGreaterThan(index);
        assertThat(millis).isLessThan(1000);
    }
}
