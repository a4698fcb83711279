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
import dev.skiff.it.cluster.RawHttp;
import dev.skiff.raft.Configuration;
import dev.skiff.raft.Server;
import dev.skiff.raft.SnapshotSink;
import dev.skiff.wal.FileSnapshotStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restores that cannot hurt (issue #12 item 1, API.md §6), with real node processes: a bad
 * snapshot upload is refused with 400 and changes nothing anywhere; a {@code skiff snapshot
 * save} file seeds a new cluster with {@code --restore-from file://}; a backup of an older
 * cluster restored into a younger one is followed by successful writes; a node whose newest
 * snapshot cannot be loaded exits 1 naming the file and the way out.
 */
class SnapshotRestoreIT {

    @RegisterExtension
    final ClusterExtension clusters = ClusterExtension.perTest();

    private static final ClusterOptions OPTIONS = ClusterOptions.defaults().withFlags(KvApiIT.STEADY);

    @TempDir
    Path tmp;

    @Test
    void when_badSnapshotsAreUploaded_then_eachIsRefusedWith400AndEveryNodeKeepsServingAndRestartsWithItsData() {
        ProcessCluster cluster = clusters.start(3, OPTIONS);
        NodeProcess leader = cluster.awaitLeader();
        for (int i = 0; i < 200; i++) {
            assertThat(leader.client().put("keep/" + i, value(i)).status()).isEqualTo(200);
        }
        for (int i = 0; i < 3; i++) {
            assertThat(leader.client().put("big/" + i, Integer.toString(i).repeat(900_000)).status()).isEqualTo(200);
        }
        byte[] backup = download(leader);
        assertThat(backup.length).as("a backup larger than the server's request body limit for values (2 MiB)")
                .isGreaterThan(2_700_000);

        byte[] wrongVersion = backup.clone();
        ByteBuffer.wrap(wrongVersion).putShort(8, (short) 7);
        byte[] overLong = Arrays.copyOf(backup, backup.length + 100);
        byte[] flipped = backup.clone();
        flipped[backup.length / 2] ^= 0x20;
        Map<String, byte[]> bad = new LinkedHashMap<>();
        bad.put("not a Skiff KV snapshot (bad magic", "garbage!".getBytes(StandardCharsets.US_ASCII));
        bad.put("truncated at byte 0 of 0: the snapshot ends inside the header (0 of 8 bytes present)", new byte[0]);
        bad.put("truncated at byte 4096 of 4096: the snapshot ends inside block 0 (", Arrays.copyOf(backup, 4096));
        bad.put("truncated at byte " + backup.length / 2 + " of " + backup.length / 2 + ": the snapshot ends inside ",
                Arrays.copyOf(backup, backup.length / 2));
        bad.put("truncated at byte " + (backup.length - 1) + " of " + (backup.length - 1) + ": the snapshot ends inside block",
                Arrays.copyOf(backup, backup.length - 1));
        bad.put("unsupported snapshot version 7", wrongVersion);
        bad.put("bytes after the end block, at byte offset " + backup.length + " of " + overLong.length, overLong);
        bad.put("checksum mismatch in block ", flipped);

        long[] offsets = cluster.nodes().stream().mapToLong(NodeProcess::logSize).toArray();
        int round = 0;
        for (Map.Entry<String, byte[]> e : bad.entrySet()) {
            // Through the leader and through a follower (forwarded with its length) in turn.
            NodeProcess via = round++ % 2 == 0 ? leader : follower(cluster, leader);
            HttpReply refused = via.client().send("PUT", "/v1/snapshot", e.getValue());
            assertThat(refused.status()).as("%d-byte body via %s: %s", e.getValue().length, via, refused).isEqualTo(400);
            System.out.println("refused " + e.getValue().length + "-byte snapshot via " + via.id() + ": " + refused.text());
            assertThat(refused.json().path("code").asText()).isEqualTo("bad_snapshot");
            assertThat(refused.json().path("error").asText()).as("%s", refused).contains(e.getKey())
                    .contains("Nothing was changed");
            assertThat(via.client().put("during/" + round, "ok").status()).as("a write after refusing %s", e.getKey())
                    .isEqualTo(200);
        }

        // No Content-Length (chunked): refused before anything is read.
        RawHttp.Answer chunked = RawHttp.request(follower(cluster, leader).apiPort(), "PUT", "/v1/snapshot",
                "Transfer-Encoding: chunked\r\n", null);
        RawHttp.Answer chunkedToLeader = RawHttp.send(leader.apiPort(), ("PUT /v1/snapshot HTTP/1.1\r\nHost: x\r\n"
                + "Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n8\r\ngarbage!\r\n0\r\n\r\n").getBytes(StandardCharsets.US_ASCII),
                Duration.ofSeconds(10));
        assertThat(chunked.status()).as(chunked.response()).isEqualTo(400);
        assertThat(chunkedToLeader.status()).as(chunkedToLeader.response()).isEqualTo(400);
        assertThat(chunkedToLeader.response()).contains("bad_snapshot").contains("no Content-Length");

        for (int i = 0; i < cluster.nodes().size(); i++) {
            NodeProcess node = cluster.nodes().get(i);
            String log = node.logSince(offsets[i]);
            assertThat(log).as("%s log", node).doesNotContain("FSM apply failed").doesNotContain("user snapshot restored");
            assertThat(node.isRunning()).isTrue();
        }
        assertThat(leader.logSince(offsets[cluster.nodes().indexOf(leader)])).contains("user snapshot refused");

        // Every node restarts with its data: nothing bad was stored anywhere.
        cluster.stopAll();
        cluster.nodes().forEach(cluster::restart);
        NodeProcess after = cluster.awaitLeader();
        cluster.nodes().forEach(cluster::awaitCaughtUp);
        for (NodeProcess node : cluster.nodes()) {
            for (int i = 0; i < 200; i += 7) {
                assertThat(node.client().get("keep/" + i, "stale").text()).as("%s keep/%d", node, i)
                        .isEqualTo(value(i));
            }
            assertThat(node.client().get("during/" + bad.size(), "stale").text()).isEqualTo("ok");
        }
        assertThat(after.client().get("big/2", "stale").text()).hasSize(900_000);
        assertThat(after.client().put("after/restart", "ok").status()).isEqualTo(200);

        // And the good backup is still accepted.
        HttpReply restored = follower(cluster, after).client().send("PUT", "/v1/snapshot", backup);
        assertThat(restored.status()).as("%s", restored).isEqualTo(200);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(after.client().get("after/restart", "consistent").status()).isEqualTo(404));
    }

    @Test
    void when_aSnapshotSaveFileSeedsANewCluster_then_everyKeyHasItsValueAndModifyIndex() throws Exception {
        ProcessCluster old = clusters.start(1, OPTIONS);
        NodeProcess oldLeader = old.awaitLeader();
        for (int i = 0; i < 300; i++) {
            assertThat(oldLeader.client().put("seed/" + (i % 120), "v" + i).status()).isEqualTo(200);
        }
        assertThat(oldLeader.client().delete("seed/5").status()).isEqualTo(200);
        JsonNode expected = list(oldLeader);
        assertThat(expected).hasSize(119);
        Path file = tmp.resolve("backup.snap");
        Files.write(file, download(oldLeader));
        old.stopAll();

        ProcessCluster restored = clusters.create(OPTIONS);
        NodeProcess first = restored.add(OPTIONS, List.of("--restore-from", file.toUri().toString()));
        NodeProcess leader = restored.awaitLeader();
        assertThat(leader).isEqualTo(first);
        restored.join(OPTIONS);
        restored.join(OPTIONS);
        restored.awaitMembers(3);
        long applied = expected.findValues("modifyIndex").stream().mapToLong(JsonNode::asLong).max().orElseThrow();
        for (NodeProcess node : restored.nodes()) {
            restored.awaitCaughtUp(node);
            assertThat(list(node)).as("%s: every key with its value, createIndex and modifyIndex", node).isEqualTo(expected);
        }
        HttpReply write = restored.nodes().get(2).client().put("seed/7", "after");
        assertThat(write.status()).as("%s", write).isEqualTo(200);
        assertThat(write.json().path("index").asLong()).isGreaterThan(applied);
    }

    @Test
    void when_restoreFromIsNotAValidSnapshotFile_then_theNodeExits1NamingTheFileAndWhatIsWrong() throws Exception {
        Path garbage = tmp.resolve("garbage.snap");
        Files.writeString(garbage, "garbage!");
        Path dataDir = tmp.resolve("data");
        Process p = NodeProcess.skiff(List.of("node", "--id", "r1", "--api-addr", "127.0.0.1:" + FreePorts.next(),
                "--raft-addr", "127.0.0.1:" + FreePorts.next(), "--data-dir", dataDir.toString(),
                "--restore-from", garbage.toUri().toString())).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isEqualTo(1);
        assertThat(out).contains("skiff: --restore-from " + garbage.toUri() + ": " + garbage + " is not a valid Skiff snapshot: "
                + "not a Skiff KV snapshot (bad magic").contains("Nothing was changed");
        try (var files = Files.list(dataDir.resolve("raft").resolve("log"))) {
            assertThat(files.filter(f -> f.getFileName().toString().endsWith(".seg")).toList()).isEmpty();
        }
    }

    @Test
    void when_aBackupOfAnOlderLargerClusterIsRestoredIntoAYoungerOne_then_writesSucceed() {
        ProcessCluster old = clusters.start(1, OPTIONS);
        NodeProcess oldLeader = old.awaitLeader();
        for (int i = 0; i < 1500; i++) {
            assertThat(oldLeader.client().put("old/" + (i % 50), "v" + i).status()).isEqualTo(200);
        }
        byte[] backup = download(oldLeader);
        long oldIndex = oldLeader.client().status().path("applied_index").asLong();
        old.stopAll();

        ProcessCluster young = clusters.start(3, OPTIONS);
        NodeProcess leader = young.awaitLeader();
        assertThat(leader.client().put("young/1", "v").status()).isEqualTo(200);
        assertThat(leader.client().status().path("last_log_index").asLong()).isLessThan(oldIndex / 10);

        HttpReply restored = follower(young, leader).client().send("PUT", "/v1/snapshot", backup);
        assertThat(restored.status()).as("%s", restored).isEqualTo(200);
        // The restore is one entry of the young cluster's log; the old cluster's modify indexes
        // (up to oldIndex, far past it) are lowered to that entry's index, so later writes,
        // whose indexes follow it, keep indexes increasing.
        long restoreIndex = restored.json().path("index").asLong();
        assertThat(restoreIndex).isLessThan(oldIndex);
        for (int i = 0; i < 20; i++) {
            NodeProcess via = young.nodes().get(i % 3);
            HttpReply write = via.client().put("old/" + i, "new" + i);
            assertThat(write.status()).as("write %d after the restore via %s: %s", i, via, write).isEqualTo(200);
            assertThat(write.json().path("index").asLong()).isGreaterThan(restoreIndex);
        }
        for (NodeProcess node : young.nodes()) {
            young.awaitCaughtUp(node);
            assertThat(node.client().get("old/19", "stale").text()).isEqualTo("new19");
            assertThat(node.client().get("old/49", "stale").text()).isEqualTo("v1499");
            assertThat(node.client().get("young/1", "stale").status()).isEqualTo(404);
        }
    }

    @Test
    void when_theNewestSnapshotCannotBeLoadedAtStart_then_theNodeExits1NamingTheFileAndWhatToDo() throws IOException {
        ProcessCluster cluster = clusters.start(1, OPTIONS);
        NodeProcess node = cluster.awaitLeader();
        assertThat(node.client().put("k", "v").status()).isEqualTo(200);
        assertThat(node.client().send("POST", "/v1/snapshot", null).status()).isEqualTo(200);
        cluster.stopAll();
        // A snapshot whose file checksum is right but whose content is not a KV snapshot: what a
        // restore without validation used to store.
        Path snapshots = node.dataDir().resolve("snapshots");
        String id;
        FileSnapshotStore store = FileSnapshotStore.open(snapshots, Integer.MAX_VALUE);
        SnapshotSink sink = store.create(1_000_000, 99, Configuration.of(Server.voter("n1", node.raftAddress())), 1);
        sink.out().write("garbage!".getBytes(StandardCharsets.US_ASCII));
        id = sink.commit().id();
        cluster.restart(node);
        await().atMost(Duration.ofSeconds(60)).until(() -> node.exitCode().isPresent());
        assertThat(node.exitCode().getAsInt()).isEqualTo(1);
        Path bad = snapshots.resolve(id);
        assertThat(node.logTail(5)).contains("skiff: node n1 cannot load its newest snapshot, " + bad.resolve("state.bin"))
                .contains("not a Skiff KV snapshot (bad magic")
                .contains("move the directory " + bad + " out of " + snapshots);

        // Following the advice brings the node back with its data.
        Files.move(bad, tmp.resolve(id));
        cluster.restart(node);
        cluster.awaitLeader();
        assertThat(node.client().get("k", "consistent").text()).isEqualTo("v");
    }

    /** Values of growing length, so that the backup spans several blocks. */
    private static String value(int i) {
        return "value-" + i + "-" + "x".repeat(i * 5);
    }

    private static byte[] download(NodeProcess node) {
        assertThat(node.client().send("POST", "/v1/snapshot", null).status()).isEqualTo(200);
        HttpReply reply = node.client().send("GET", "/v1/snapshot", null);
        assertThat(reply.status()).as("%s", reply).isEqualTo(200);
        return reply.body();
    }

    private static JsonNode list(NodeProcess node) {
        HttpReply reply = node.client().send("GET", "/v1/kv/?prefix=&limit=10000&consistency=stale", null);
        assertThat(reply.status()).as("%s", reply).isEqualTo(200);
        assertThat(reply.json().path("more").asBoolean()).isFalse();
        return reply.json().path("items");
    }

    private static NodeProcess follower(ProcessCluster cluster, NodeProcess leader) {
        return cluster.nodes().stream().filter(n -> n != leader).findFirst().orElseThrow();
    }
}
