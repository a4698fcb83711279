package dev.skiff.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.it.cluster.ClusterExtension;
import dev.skiff.it.cluster.ClusterOptions;
import dev.skiff.it.cluster.EmulatorProcess;
import dev.skiff.it.cluster.HttpReply;
import dev.skiff.it.cluster.NodeClient;
import dev.skiff.it.cluster.NodeProcess;
import dev.skiff.it.cluster.ProcessCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics} of a loaded leader of a 3-node cloud cluster (snapshots in S3Proxy, term and
 * vote and discovery in the DynamoDB emulator, each in a process of its own) shows every family an
 * operator needs (issue #16): the JVM's memory, GC pauses and threads, the process's CPU and
 * file descriptors, WAL append and fsync latency, per-follower match index, lag and last
 * contact, snapshot duration and size, S3 and DynamoDB call latency (and, on the node that met
 * them, errors), apply latency; and every family carries a non-empty {@code # HELP} line.
 */
class MetricsIT {

    private static final String BUCKET = "skiff-metrics-it";
    /** The Grafana dashboard shipped in docs/ (the tests run in integration-tests/). */
    private static final Path DASHBOARD = Path.of("..", "docs", "grafana-dashboard.json");

    /** Families the loaded leader must show, each with a sample name that proves it has data. */
    private static final Map<String, String> LEADER_FAMILIES = new LinkedHashMap<>();

    static {
        LEADER_FAMILIES.put("jvm_memory_used_bytes", "jvm_memory_used_bytes{");
        LEADER_FAMILIES.put("jvm_memory_max_bytes", "jvm_memory_max_bytes{");
        LEADER_FAMILIES.put("jvm_gc_pause_seconds", "jvm_gc_pause_seconds_count{");
        LEADER_FAMILIES.put("jvm_threads_live_threads", "jvm_threads_live_threads ");
        LEADER_FAMILIES.put("process_cpu_usage", "process_cpu_usage ");
        LEADER_FAMILIES.put("process_files_open_files", "process_files_open_files ");
        LEADER_FAMILIES.put("process_files_max_files", "process_files_max_files ");
        LEADER_FAMILIES.put("process_uptime_seconds", "process_uptime_seconds ");
        LEADER_FAMILIES.put("skiff_wal_append_seconds", "skiff_wal_append_seconds_count ");
        LEADER_FAMILIES.put("skiff_wal_fsync_seconds", "skiff_wal_fsync_seconds_count ");
        LEADER_FAMILIES.put("skiff_raft_follower_match_index", "skiff_raft_follower_match_index{follower=");
        LEADER_FAMILIES.put("skiff_raft_follower_lag_entries", "skiff_raft_follower_lag_entries{follower=");
        LEADER_FAMILIES.put("skiff_raft_follower_last_contact_seconds", "skiff_raft_follower_last_contact_seconds{follower=");
        LEADER_FAMILIES.put("skiff_snapshot_seconds", "skiff_snapshot_seconds_count{outcome=\"ok\"}");
        LEADER_FAMILIES.put("skiff_snapshot_size_bytes", "skiff_snapshot_size_bytes_count ");
        LEADER_FAMILIES.put("skiff_snapshot_last_size_bytes", "skiff_snapshot_last_size_bytes ");
        LEADER_FAMILIES.put("skiff_cloud_call_seconds", "skiff_cloud_call_seconds_count{");
        LEADER_FAMILIES.put("skiff_kv_apply_seconds", "skiff_kv_apply_seconds_count ");
        LEADER_FAMILIES.put("skiff_kv_applied_entries_total", "skiff_kv_applied_entries_total ");
        LEADER_FAMILIES.put("skiff_raft_apply_seconds", "skiff_raft_apply_seconds_count ");
        LEADER_FAMILIES.put("skiff_http_requests_seconds", "skiff_http_requests_seconds_count{");
        LEADER_FAMILIES.put("skiff_raft_commit_index", "skiff_raft_commit_index ");
        LEADER_FAMILIES.put("skiff_storage_healthy", "skiff_storage_healthy{");
    }

    @RegisterExtension
    static final ClusterExtension clusters = ClusterExtension.perClass();

    @TempDir
    static Path emulatorData;
    private static EmulatorProcess dynamo;
    private static EmulatorProcess s3;

    @BeforeAll
    static void startEmulators() {
        dynamo = EmulatorProcess.dynamoDb(emulatorData.resolve("dynamodb"), emulatorData.resolve("dynamodb.log")).start();
        s3 = EmulatorProcess.s3Proxy(emulatorData.resolve("s3"), emulatorData.resolve("s3proxy.log")).start();
    }

    @AfterAll
    static void stopEmulators() {
        if (s3 != null) {
            s3.close();
        }
        if (dynamo != null) {
            dynamo.close();
        }
    }

    @Test
    void when_aCloudClusterIsLoaded_then_theLeadersMetricsShowEveryFamilyWithHelpText() throws Exception {
        ProcessCluster cluster = clusters.create(ClusterOptions.defaults()
                .withEnvironment(EmulatorProcess.awsEnvironment(dynamo, s3))
                .withFlags("--cluster", "metrics", "--snapshots", "s3://" + BUCKET + "/metrics",
                        "--stable", "dynamodb://skiff-metrics-stable",
                        "--discovery", "dynamodb://skiff-metrics-discovery?cluster=metrics", "--create-tables")
                .withFlags(KvApiIT.STEADY));
        for (int i = 0; i < 3; i++) {
            cluster.add(cluster.options(), List.of());
        }
        cluster.awaitMembers(3);
        NodeProcess leader = cluster.awaitLeader();

        load(cluster, 0, 2000);
        assertThat(leader.client().get("no/such/key").status()).isEqualTo(404);
        HttpReply snapshot = leader.client().withTimeout(Duration.ofMinutes(1)).send("POST", "/v1/snapshot", null);
        assertThat(snapshot.status()).as(snapshot.toString()).isEqualTo(200);
        // GC pauses are reported from the first collection on: keep the load on until there was one.
        AtomicInteger round = new AtomicInteger(1);
        await("a GC pause on the leader").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (scrape(leader).contains("jvm_gc_pause_seconds_count{")) {
                return true;
            }
            load(cluster, round.getAndIncrement() * 2000, 500);
            return false;
        });

        String metrics = scrape(leader);
        for (Map.Entry<String, String> family : LEADER_FAMILIES.entrySet()) {
            assertThat(metrics).as("family %s", family.getKey())
                    .containsPattern("(?m)^# HELP " + Pattern.quote(family.getKey()) + " \\S")
                    .contains(family.getValue());
        }
        assertThat(families(metrics)).as("families").hasSizeGreaterThan(LEADER_FAMILIES.size());
        for (String family : families(metrics)) {
            assertThat(metrics).as("HELP of %s", family).containsPattern("(?m)^# HELP " + Pattern.quote(family) + " \\S");
        }
        for (String service : List.of("S3", "DynamoDb")) {
            assertThat(sample(metrics, "skiff_cloud_call_seconds_count\\{[^}]*service=\"" + service + "\"[^}]*}"))
                    .as("%s calls", service).isPositive();
        }
        assertThat(sample(metrics, "skiff_wal_fsync_seconds_count")).isGreaterThan(0);
        assertThat(sample(metrics, "skiff_snapshot_size_bytes_sum")).isGreaterThanOrEqualTo(snapshot.json().path("size").asDouble());
        assertThat(sample(metrics, "skiff_snapshot_last_size_bytes")).isPositive();
        assertThat(sample(metrics, "skiff_kv_applied_entries_total")).isGreaterThanOrEqualTo(2000);
        for (NodeProcess node : cluster.nodes()) {
            if (node != leader) {
                assertThat(sample(metrics, "skiff_raft_follower_match_index\\{follower=\"" + node.id() + "\"}"))
                        .as("match index of %s", node.id()).isPositive();
                assertThat(metrics).contains("skiff_raft_follower_lag_entries{follower=\"" + node.id() + "\"}");
            }
        }
        // The load went through every node: the followers forwarded their share over the raft transport.
        double forwarded = 0;
        for (NodeProcess node : cluster.nodes()) {
            String text = scrape(node);
            assertThat(text).containsPattern("(?m)^# HELP skiff_raft_forwarded_commands_total \\S");
            forwarded += sample(text, "skiff_raft_forwarded_commands_total");
        }
        assertThat(forwarded).as("commands followers forwarded").isPositive();

        // Errors are counted where they happen: at start, a node that found a table or the
        // bucket missing (it then created it) has a DynamoDB or S3 error on record.
        List<String> withErrors = new ArrayList<>();
        for (NodeProcess node : cluster.nodes()) {
            String text = scrape(node);
            if (text.contains("skiff_cloud_call_errors_total{")) {
                assertThat(text).containsPattern("(?m)^# HELP skiff_cloud_call_errors_total \\S");
                withErrors.add(node.id());
            }
        }
        assertThat(withErrors).as("nodes that counted a failed cloud call").isNotEmpty();

        // The Grafana dashboard is built on these metrics: every series it queries exists.
        StringBuilder everyNode = new StringBuilder();
        for (NodeProcess node : cluster.nodes()) {
            everyNode.append(scrape(node));
        }
        String dashboard = Files.readString(DASHBOARD);
        Matcher queried = Pattern.compile("\\b((?:skiff|jvm|process)_[a-z_]+)\\{").matcher(dashboard);
        int series = 0;
        while (queried.find()) {
            series++;
            assertThat(everyNode.toString()).as("%s, queried by %s", queried.group(1), DASHBOARD)
                    .containsPattern("(?m)^" + Pattern.quote(queried.group(1)) + "[{ ]");
        }
        assertThat(series).as("series queried by the dashboard").isGreaterThan(30);
        System.out.printf("metrics: the loaded leader %s shows %d families, every one with HELP text; %d bytes of /metrics%n",
                leader.id(), families(metrics).size(), metrics.length());
    }

    /** {@code n} writes of 1 KiB from key {@code from} on, 16 at a time, through any node. */
    private static void load(ProcessCluster cluster, int from, int n) throws Exception {
        List<NodeProcess> nodes = cluster.nodes();
        AtomicInteger next = new AtomicInteger(from);
        String value = "v".repeat(1024);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int w = 0; w < 16; w++) {
                NodeClient client = nodes.get(w % nodes.size()).client();
                pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < from + n; i = next.getAndIncrement()) {
                        client.put("load/" + i, value);
                    }
                    return null;
                });
            }
        }
    }

    private static String scrape(NodeProcess node) {
        HttpReply reply = node.client().send("GET", "/metrics", null);
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.header("Content-Type")).startsWith("text/plain");
        return reply.text();
    }

    private static List<String> families(String metrics) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^# TYPE (\\S+) ").matcher(metrics);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** The value of the first sample whose name and labels match {@code regex}. */
    private static double sample(String metrics, String regex) {
        Matcher m = Pattern.compile("(?m)^" + regex + " (\\S+)$").matcher(metrics);
        assertThat(m.find()).as("a sample matching %s", regex).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
