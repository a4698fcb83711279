package dev.skiff.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skiff.it.cluster.ClusterExtension;
import dev.skiff.it.cluster.ClusterOptions;
import dev.skiff.it.cluster.EmulatorProcess;
import dev.skiff.it.cluster.HttpReply;
import dev.skiff.it.cluster.NodeClient;
import dev.skiff.it.cluster.NodeProcess;
import dev.skiff.it.cluster.ProcessCluster;
import dev.skiff.it.cluster.Writes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Skiff as it runs on AWS, against the open-source DynamoDB emulator and S3Proxy in processes of their own:
 * node processes with {@code --snapshots s3://}, {@code --stable dynamodb://} and
 * {@code --discovery dynamodb://} and no {@code --bootstrap}/{@code --join}.
 *
 * <ul>
 *   <li>Disaster recovery: three nodes form a cluster through the discovery table alone, take
 *       100,000 keys and a snapshot to S3, and are stopped; every data directory is deleted; a
 *       new cluster started with {@code --restore-from} has every key, and re-forms through the
 *       address book after every node moved to new ports. The restore time is printed.</li>
 *   <li>Outages: with S3 down and DynamoDB hung, the cluster keeps taking writes, and
 *       {@code /v1/status} and {@code /metrics} say what is failing; once both are back, health
 *       recovers and a snapshot covering the outage's writes reaches S3.</li>
 * </ul>
 *
 * <p>{@code -Dskiff.restore.keys=N} changes the number of keys (default 100,000).
 */
class CloudClusterIT {

    private static final String BUCKET = "skiff-it";
    private static final String STABLE = "dynamodb://skiff-it-stable";
    private static final int VALUE_BYTES = 100;

    @RegisterExtension
    final ClusterExtension clusters = ClusterExtension.perTest();

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

    /** Flags and environment for a node of cluster {@code name} whose snapshots go to {@code s3://skiff-it/<name>}. */
    private static ClusterOptions cloud(String name, String... more) {
        return ClusterOptions.defaults()
                .withEnvironment(EmulatorProcess.awsEnvironment(dynamo, s3))
                .withFlags("--cluster", name, "--snapshots", "s3://" + BUCKET + "/" + name, "--stable", STABLE,
                        "--discovery", "dynamodb://skiff-it-discovery?cluster=" + name, "--create-tables")
                .withFlags(more);
    }

    /**
     * How long three identical cloud nodes may take to form. More than the harness's default:
     * each node starts the AWS SDK's S3 and DynamoDB clients and goes through the discovery
     * table (and, restoring, reads the snapshot from S3) before it can join; on the 2-core test
     * machines under other load, the JVM starts alone took 10-15 s and formation 30-35 s.
     */
    private static final Duration FORMATION = Duration.ofSeconds(90);

    /** Starts three identical nodes at once, as an autoscaling group would, and waits until they form. */
    private static void startThree(ProcessCluster cluster) {
        for (int i = 0; i < 3; i++) {
            cluster.add(cluster.options(), List.of());
        }
        cluster.awaitMembers(3, FORMATION);
    }

    @Test
    void when_everyDataDirIsLost_then_aClusterRestoredFromS3HasEveryKey_andReformsOnNewPorts() throws Exception {
        int keys = Integer.getInteger("skiff.restore.keys", 100_000);
        ProcessCluster original = clusters.create(cloud("dr-old"));
        startThree(original);
        long written = writeKeys(original, keys);
        long started = System.nanoTime();
        HttpReply snapshot = original.awaitLeader().client().withTimeout(Duration.ofMinutes(2)).send("POST", "/v1/snapshot", null);
        assertThat(snapshot.status()).as(snapshot.toString()).isEqualTo(200);
        double uploadSeconds = seconds(started);
        assertThat(snapshot.json().path("index").asLong()).isGreaterThanOrEqualTo(written);

        for (NodeProcess node : original.nodes()) {
            assertThat(node.terminate(Duration.ofSeconds(30))).isZero();
            deleteTree(node.dataDir());
        }

        ProcessCluster restored = clusters.create(cloud("dr-new", "--restore-from", "s3://" + BUCKET + "/dr-old"));
        started = System.nanoTime();
        startThree(restored);
        assertEveryKey(restored, keys);
        double restoreSeconds = seconds(started);
        long next = Writes.putUntilAcknowledged(restored, "after-restore", "x", Duration.ofSeconds(30));
        assertThat(next).isGreaterThan(snapshot.json().path("index").asLong());
        System.out.printf("cloud restore: %d keys x %d B; snapshot to S3 %.1f s (%d bytes); --restore-from to every key "
                        + "readable on a new 3-node cluster %.1f s%n", keys, VALUE_BYTES, uploadSeconds,
                snapshot.json().path("size").asLong(), restoreSeconds);
        assertThat(logs(restored)).contains("from s3://" + BUCKET + "/dr-old (snapshot ")
                .as("every node reads snapshots from the shared prefix; none is streamed").doesNotContain("received snapshot index=");

        List<NodeProcess> before = List.copyOf(restored.nodes());
        for (NodeProcess node : before) {
            assertThat(node.terminate(Duration.ofSeconds(30))).isZero();
        }
        before.forEach(restored::relocate);
        awaitConfigurationMatches(restored);
        assertEveryKey(restored, keys);
        assertThat(Writes.readUntilDefinite(restored, "after-restore", Duration.ofSeconds(30)).text()).isEqualTo("x");
        System.out.println("cloud restore: the restored cluster re-formed through the discovery table after every node"
                + " moved to new ports");
    }

    @Test
    void when_aFollowerFallsBehindTheCompactedLog_then_itReadsTheSnapshotFromS3Itself() throws Exception {
        ProcessCluster cluster = clusters.create(cloud("catch-up", "--snapshot-interval", "200ms", "--snapshot-threshold", "50",
                "--trailing-logs", "10"));
        startThree(cluster);
        NodeProcess leader = cluster.awaitLeader();
        NodeProcess follower = cluster.nodes().stream().filter(n -> n != leader).findFirst().orElseThrow();
        cluster.pause(follower);
        long behind = writeKeys(cluster, 300);
        await("the leader's log compacted past the paused follower").atMost(Duration.ofSeconds(30))
                .until(() -> leader.client().status().path("last_snapshot_index").asLong() >= behind - 50);
        long logBefore = follower.logSize();
        cluster.resume(follower);
        cluster.awaitCaughtUp(follower);
        assertThat(follower.logSince(logBefore)).contains("is in the shared snapshot store; installing it from there")
                .doesNotContain("received snapshot index=");
        assertThat(leader.logSince(0)).contains("by reference (the follower reads it from the shared snapshot store)");
        System.out.println("cloud catch-up: a follower paused across a log compaction installed the snapshot from S3 itself");
    }

    /**
     * The DynamoDB stable record outlives the machine's disk: the node comes back with its old
     * term and vote but an empty log. It used to be refused at start (an operator step); with log
     * incarnations it starts, the leader stages it (its new log is not counted) and promotes it
     * once it has caught up (issue #11).
     */
    @Test
    void when_aFollowersDataDirIsWipedButItsStableRecordIsInDynamoDb_then_itRejoinsWithItsFlagsAndNothingIsLost()
            throws Exception {
        ProcessCluster cluster = clusters.create(cloud("wiped"));
        startThree(cluster);
        long written = writeKeys(cluster, 300);
        NodeProcess leader = cluster.awaitLeader();
        NodeProcess follower = cluster.nodes().stream().filter(n -> n != leader).findFirst().orElseThrow();
        cluster.awaitCaughtUp(follower);
        cluster.kill9(follower);
        deleteTree(follower.dataDir());
        long restartedAt = System.nanoTime();
        cluster.restart(follower);

        await(follower + " caught up").atMost(FORMATION).ignoreExceptionsInstanceOf(java.io.UncheckedIOException.class)
                .untilAsserted(() -> assertThat(follower.client().status().path("applied_index").asLong())
                        .isGreaterThanOrEqualTo(written));
        assertThat(follower.logSince(0)).contains("node lost its log");
        await("the leader staged the wiped follower and promoted it again").atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(leader.logSince(0)).contains("staging it")
                        .contains("staged member has caught up; promoting it to voter"));
        System.out.printf("cloud disk loss: %s wiped (stable record kept in DynamoDB), caught up to %d after %d ms%n", follower,
                written, (System.nanoTime() - restartedAt) / 1_000_000);
        cluster.kill9(leader);
        Writes.putUntilAcknowledged(cluster, "after-leader-kill", "yes", Duration.ofSeconds(60));
        for (int i = 0; i < 300; i += 13) {
            assertThat(Writes.readUntilDefinite(cluster, key(i), Duration.ofSeconds(30)).text()).isEqualTo(value(i));
        }
    }

    @Test
    void when_s3IsDownAndDynamoDbHangs_then_theClusterKeepsServing_saysSo_andCatchesUpAfterwards() throws Exception {
        ProcessCluster cluster = clusters.create(cloud("outage", "--snapshot-interval", "1s", "--snapshot-threshold", "50",
                "--trailing-logs", "20"));
        startThree(cluster);
        writeKeys(cluster, 200);
        NodeProcess leader = cluster.awaitLeader();
        await("a first snapshot in S3").atMost(Duration.ofSeconds(30))
                .until(() -> leader.client().status().path("last_snapshot_index").asLong() > 0);

        s3.kill9();
        dynamo.pause();
        try {
            long lastWrite = 0;
            for (int i = 0; i < 300; i++) {
                lastWrite = Writes.putUntilAcknowledged(cluster, "outage-" + i, "v" + i, Duration.ofSeconds(10));
            }
            await("the leader reports the failing snapshot store and discovery table").atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                        JsonNode storage = leader.client().status().path("storage");
                        assertThat(storage.path("snapshots").asText()).isNotEqualTo("ok");
                        assertThat(storage.path("discovery").asText()).isNotEqualTo("ok");
                        assertThat(storage.path("log").asText("ok")).isEqualTo("ok");
                        assertThat(healthGauge(leader, "snapshots")).isZero();
                        assertThat(healthGauge(leader, "discovery")).isZero();
                    });
            System.out.println("cloud outage: S3 down and DynamoDB hung; 300 writes acknowledged; /v1/status storage = "
                    + leader.client().status().path("storage"));
            // A periodic snapshot is taken once 50 entries were applied since the last one. The
            // one that reaches S3 when it returns may have been captured during the last outage
            // writes and retried since: up to 49 entries short of the last write (CI saw 505 of
            // 509), and then no other follows. One captured earlier is followed by another.
            long covered = lastWrite - 49;

            s3.start();
            dynamo.resume();
            await("health recovers and a snapshot covering the outage reaches S3").atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                        JsonNode status = leader.client().status();
                        assertThat(status.path("storage").path("snapshots").asText()).isEqualTo("ok");
                        assertThat(status.path("storage").path("discovery").asText()).isEqualTo("ok");
                        assertThat(status.path("last_snapshot_index").asLong()).isGreaterThanOrEqualTo(covered);
                        assertThat(healthGauge(leader, "snapshots")).isEqualTo(1);
                    });
            for (int i = 0; i < 300; i += 37) {
                assertThat(Writes.readUntilDefinite(cluster, "outage-" + i, Duration.ofSeconds(10)).text()).isEqualTo("v" + i);
            }
            System.out.println("cloud outage: S3 and DynamoDB back; health ok; snapshot at index "
                    + leader.client().status().path("last_snapshot_index").asLong() + " (the last outage write: " + lastWrite + ")");
        } finally {
            dynamo.resume();
            startQuietly(s3);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static String value(int i) {
        String prefix = "value-" + i + "-";
        return prefix + "x".repeat(VALUE_BYTES - prefix.length());
    }

    private static String key(int i) {
        return String.format("k%07d", i);
    }

    /** Writes keys 0..n-1 through the leader, 32 at a time; returns the highest acknowledged index. */
    private static long writeKeys(ProcessCluster cluster, int n) throws Exception {
        NodeClient leader = cluster.awaitLeader().client();
        AtomicInteger nextKey = new AtomicInteger();
        long started = System.nanoTime();
        List<Future<Long>> writers = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int w = 0; w < 32; w++) {
                writers.add(pool.submit(() -> {
                    long highest = 0;
                    for (int i = nextKey.getAndIncrement(); i < n; i = nextKey.getAndIncrement()) {
                        HttpReply r = leader.put(key(i), value(i));
                        if (r.status() != 200) {
                            // A leader change: settle on whoever leads now (the write was not applied or is retried as the same value).
                            highest = Math.max(highest, Writes.putUntilAcknowledged(cluster, key(i), value(i), Duration.ofSeconds(30)));
                        } else {
                            highest = Math.max(highest, r.json().path("index").asLong());
                        }
                    }
                    return highest;
                }));
            }
        }
        long highest = 0;
        for (Future<Long> f : writers) {
            highest = Math.max(highest, f.get());
        }
        if (n >= 10_000) {
            System.out.printf("cloud restore: wrote %d keys in %.1f s%n", n, seconds(started));
        }
        return highest;
    }

    /** Lists every key through one node, page by page, and compares each value with what was written. */
    private static void assertEveryKey(ProcessCluster cluster, int n) {
        await("all " + n + " keys listed with their values").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                .ignoreExceptions().untilAsserted(() -> {
                    NodeClient client = cluster.awaitLeader().client();
                    Set<String> seen = new HashSet<>();
                    String after = "";
                    boolean more = true;
                    while (more) {
                        HttpReply page = client.send("GET", "/v1/kv/?prefix=k&limit=10000"
                                + (after.isEmpty() ? "" : "&after=" + after), null);
                        assertThat(page.status()).as(page.toString()).isEqualTo(200);
                        JsonNode body = page.json();
                        for (JsonNode item : body.path("items")) {
                            String key = item.path("key").asText();
                            int i = Integer.parseInt(key.substring(1));
                            assertThat(new String(Base64.getDecoder().decode(item.path("value").asText()), StandardCharsets.UTF_8))
                                    .as(key).isEqualTo(value(i));
                            seen.add(key);
                            after = key;
                        }
                        more = body.path("more").asBoolean();
                    }
                    assertThat(seen).hasSize(n);
                });
    }

    /** Waits until every node's configuration carries the nodes' current addresses. */
    private static void awaitConfigurationMatches(ProcessCluster cluster) {
        Set<String> expected = new HashSet<>();
        cluster.nodes().forEach(n -> expected.add(n.id() + "@" + n.raftAddress() + "@127.0.0.1:" + n.apiPort()));
        await("the configuration names every node's new addresses").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200)).ignoreExceptions().untilAsserted(() -> {
                    for (NodeProcess node : cluster.nodes()) {
                        JsonNode status = node.client().status();
                        Set<String> actual = new HashSet<>();
                        for (JsonNode m : status.path("latest_configuration")) {
                            assertThat(m.path("suffrage").asText()).isEqualTo("voter");
                            actual.add(m.path("id").asText() + "@" + m.path("raftAddress").asText() + "@"
                                    + m.path("apiAddress").asText());
                        }
                        assertThat(actual).isEqualTo(expected);
                        assertThat(status.path("leader").isNull()).isFalse();
                    }
                });
    }

    /** The value of {@code skiff_storage_healthy{component="..."}} in the node's {@code /metrics}. */
    private static double healthGauge(NodeProcess node, String component) {
        String metrics = node.client().send("GET", "/metrics", null).text();
        return metrics.lines()
                .filter(l -> l.startsWith("skiff_storage_healthy{") && l.contains("component=\"" + component + "\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst().orElseThrow(() -> new AssertionError("no skiff_storage_healthy gauge for " + component));
    }

    private static String logs(ProcessCluster cluster) {
        StringBuilder all = new StringBuilder();
        cluster.nodes().forEach(n -> all.append(n.logTail(10_000)));
        return all.toString();
    }

    private static double seconds(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1e9;
    }

    private static void startQuietly(EmulatorProcess emulator) {
        try {
            emulator.start();
        } catch (IllegalStateException alreadyRunning) {
            // started by the test already
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
