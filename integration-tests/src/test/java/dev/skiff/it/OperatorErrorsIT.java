package dev.skiff.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skiff.it.cluster.ClusterExtension;
import dev.skiff.it.cluster.ClusterOptions;
import dev.skiff.it.cluster.FreePorts;
import dev.skiff.it.cluster.HttpReply;
import dev.skiff.it.cluster.NodeProcess;
import dev.skiff.it.cluster.ProcessCluster;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #12 as an operator meets it, with real node processes: start-up mistakes exit with
 * the documented code and a message that names the flag, the cause and the fix; the strict
 * membership API refuses typos and garbage without touching the configuration; a node that
 * comes back without its data on new addresses is moved by its own join (409, then PUT); a
 * node's files are private.
 */
class OperatorErrorsIT {

    @RegisterExtension
    final ClusterExtension clusters = ClusterExtension.perTest();

    @TempDir
    Path workDir;

    private record Case(List<String> args, int exit, String message) {
    }

    @Test
    void when_aNodeCannotStart_then_itExitsWithTheDocumentedCodeAndNamesCauseAndFix() throws Exception {
        Path aFile = Files.writeString(workDir.resolve("a-file"), "x");
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", FreePorts.next()));
            String busy = "127.0.0.1:" + taken.getLocalPort();
            List<Case> cases = List.of(
                    new Case(node("--bootstrap", "--join", "http://127.0.0.1:8001"), 2,
                            "skiff: --bootstrap and --join cannot be used together"),
                    new Case(node("--bootstrap", "--discovery", workDir.resolve("table").toUri().toString()), 2,
                            "skiff: --bootstrap and --discovery cannot be used together"),
                    new Case(node("--snapshots", "ftp://host/dir"), 2,
                            "skiff: --snapshots 'ftp://host/dir': unknown scheme 'ftp://'; --snapshots takes file:///DIR, s3://BUCKET/PREFIX"),
                    new Case(node("--stable", "dynamo://table"), 2,
                            "skiff: --stable 'dynamo://table': unknown scheme 'dynamo://'; --stable takes local, dynamodb://TABLE"),
                    new Case(node("--discovery", "dynamo://t?cluster=c"), 2,
                            "unknown scheme 'dynamo://'; --discovery takes file:///DIR, dynamodb://TABLE?cluster=NAME"),
                    new Case(node("--election-timeout", "10ms"), 2, "skiff: --election-timeout must be between 50ms and 1m, got 10ms"),
                    new Case(node("--heartbeat-interval", "1s"), 2, "skiff: --heartbeat-interval must be between 10ms and half "
                            + "the --election-timeout (250ms for --election-timeout 500ms), got 1s"),
                    new Case(withDataDir(aFile.toString()), 2,
                            "skiff: --data-dir " + aFile + " is a file, not a directory; give the path of a directory"),
                    new Case(withDataDir("/proc/skiff"), 2, "skiff: --data-dir /proc/skiff is inside /proc, a virtual file "
                            + "system of the kernel that cannot hold files; give a directory on a disk"),
                    new Case(node("--api-addr", busy), 1, "skiff: cannot listen on " + busy + " for the client API (--api-addr): "
                            + "the address is already in use by another process (perhaps another skiff node); stop that "
                            + "process, or give --api-addr a free port"),
                    new Case(node("--raft-addr", busy), 1, "skiff: cannot listen on " + busy + " for Raft traffic (--raft-addr): "
                            + "the address is already in use"));
            List<Process> running = new ArrayList<>();
            for (Case c : cases) {
                running.add(NodeProcess.skiff(c.args()).directory(workDir.toFile()).redirectErrorStream(true).start());
            }
            List<String> problems = new ArrayList<>();
            for (int i = 0; i < cases.size(); i++) {
                Process p = running.get(i);
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    problems.add(cases.get(i) + ": still running after 60 s");
                } else if (p.exitValue() != cases.get(i).exit() || !out.contains(cases.get(i).message())
                        || out.contains("Exception")) {
                    problems.add(cases.get(i) + ": exit " + p.exitValue() + ", output: " + out);
                }
            }
            assertThat(problems).as("start-up errors without their code, cause or fix").isEmpty();
        }
    }

    /** {@code skiff node} with its own data dir and free ports, where {@code flags} may override those. */
    private List<String> node(String... flags) {
        Map<String, String> base = new LinkedHashMap<>();
        base.put("--id", "x");
        base.put("--data-dir", workDir.resolve("x" + FreePorts.next()).toString());
        base.put("--api-addr", "127.0.0.1:" + FreePorts.next());
        base.put("--raft-addr", "127.0.0.1:" + FreePorts.next());
        List<String> extra = new ArrayList<>();
        for (int i = 0; i < flags.length; i++) {
            boolean hasValue = i + 1 < flags.length && !flags[i + 1].startsWith("--");
            if (hasValue && base.containsKey(flags[i])) {
                base.put(flags[i], flags[++i]);
            } else {
                extra.add(flags[i]);
                if (hasValue) {
                    extra.add(flags[++i]);
                }
            }
        }
        List<String> args = new ArrayList<>(List.of("node"));
        base.forEach((flag, value) -> args.addAll(List.of(flag, value)));
        args.addAll(extra);
        return args;
    }

    private List<String> withDataDir(String dir) {
        return node("--data-dir", dir);
    }

    @Test
    void when_membershipRequestsAreWrong_then_theyAreRefusedAndARejoiningNodeMovesItselfWithPut() throws Exception {
        ProcessCluster cluster = clusters.start(3, ClusterOptions.defaults().withFlags(KvApiIT.STEADY));
        NodeProcess leader = cluster.awaitLeader();
        NodeProcess follower = cluster.nodes().stream().filter(n -> n != leader).findFirst().orElseThrow();
        JsonNode before = leader.client().send("GET", "/v1/cluster/members", null).json().path("members");
        NodeProcess n2 = cluster.node("n2");

        String typo = "{\"id\":\"n2\",\"raftAddress\":\"127.0.0.1:" + (n2.raftPort() + 1) + "\",\"apiAddress\":\"127.0.0.1:"
                + n2.apiPort() + "\",\"voter\":true}";
        HttpReply exists = follower.client().send("POST", "/v1/cluster/members", typo.getBytes(StandardCharsets.UTF_8));
        assertThat(exists.status()).as("%s", exists).isEqualTo(409);
        assertThat(exists.json().path("code").asText()).isEqualTo("member_exists");
        assertThat(exists.json().path("error").asText()).contains("PUT /v1/cluster/members/n2");

        String[] garbage = {
            "{\"id\":\"n9\",\"raftAddress\":\"nohost\",\"apiAddress\":\"127.0.0.1:1\"}",
            "{\"id\":\"n9\",\"raftAddress\":\"127.0.0.1:1\",\"apiAddress\":\"127.0.0.1:2\",\"voter\":\"yes\"}",
            "{\"id\":\"n9\",\"raftAddress\":\"127.0.0.1:1\",\"apiAddress\":\"127.0.0.1:2\",\"extra\":1}",
            "{\"id\":\"n9\",\"raftAddress\":\"127.0.0.1:1\",\"apiAddress\":\"127.0.0.1:2\"",
            "{\"id\":\"bad id\",\"raftAddress\":\"127.0.0.1:1\",\"apiAddress\":\"127.0.0.1:2\"}",
        };
        for (String body : garbage) {
            HttpReply r = follower.client().send("POST", "/v1/cluster/members", body.getBytes(StandardCharsets.UTF_8));
            assertThat(r.status()).as("%s → %s", body, r).isEqualTo(400);
            assertThat(r.text()).as(body).doesNotContain("jackson", "Source:", "Unexpected", "JsonParse", "line: ");
        }
        HttpReply empty = follower.client().send("DELETE", "/v1/cluster/members/", null);
        assertThat(empty.status()).isEqualTo(400);
        assertThat(empty.json().path("error").asText()).isEqualTo("the member id is missing: DELETE /v1/cluster/members/{id}");
        assertThat(follower.client().send("PUT", "/v1/cluster/members/n9",
                "{\"raftAddress\":\"127.0.0.1:1\"}".getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(404);
        assertThat(leader.client().send("GET", "/v1/cluster/members", null).json().path("members")).isEqualTo(before);

        // A fourth node joins, loses its data and comes back on new ports with the same flags:
        // its join gets 409 member_exists and it moves its entry with PUT.
        NodeProcess n4 = cluster.join(ClusterOptions.defaults().withFlags(KvApiIT.STEADY));
        cluster.awaitMembers(4);
        assertThat(follower.client().put("rejoin/key", "v").status()).isEqualTo(200);
        cluster.kill9(n4);
        deleteTree(n4.dataDir());
        NodeProcess moved = cluster.relocate(n4);
        await(moved + " moved by its own join").atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
            JsonNode members = cluster.awaitLeader().client().send("GET", "/v1/cluster/members", null).json().path("members");
            JsonNode entry = null;
            for (JsonNode m : members) {
                if (m.path("id").asText().equals(moved.id())) {
                    entry = m;
                }
            }
            assertThat(entry).isNotNull();
            assertThat(entry.path("raftAddress").asText()).isEqualTo(moved.raftAddress());
            assertThat(entry.path("apiAddress").asText()).isEqualTo("127.0.0.1:" + moved.apiPort());
            assertThat(entry.path("suffrage").asText()).isEqualTo("voter");
        });
        // That it then catches up on an empty log is the wiped-node rule of API.md §6 (dev.skiff.raft), not checked here.
        await(moved + " follows the leader").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> moved.client().status().path("leader").path("id").asText().equals(cluster.awaitLeader().id()));
        assertThat(moved.logTail(400)).contains("moved its entry to raft=" + moved.raftAddress());

        // Its files, as every node's, are its own.
        try (Stream<Path> files = Files.walk(leader.dataDir())) {
            for (Path p : files.toList()) {
                String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
                assertThat(mode).as("%s", p).isEqualTo(Files.isDirectory(p) ? "rwx------" : "rw-------");
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
