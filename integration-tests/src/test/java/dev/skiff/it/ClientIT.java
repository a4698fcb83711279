package dev.skiff.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skiff.client.CasMismatchException;
import dev.skiff.client.Consistency;
import dev.skiff.client.KeyValue;
import dev.skiff.client.KvPage;
import dev.skiff.client.Member;
import dev.skiff.client.NodeStatus;
import dev.skiff.client.NotFoundException;
import dev.skiff.client.RequestRejectedException;
import dev.skiff.client.SkiffClient;
import dev.skiff.client.SnapshotInfo;
import dev.skiff.client.UnavailableException;
import dev.skiff.it.cluster.ClusterExtension;
import dev.skiff.it.cluster.ClusterOptions;
import dev.skiff.it.cluster.FreePorts;
import dev.skiff.it.cluster.NodeProcess;
import dev.skiff.it.cluster.ProcessCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The client library ({@code dev.skiff.client}) against real node processes. */
class ClientIT {

    @RegisterExtension
    final ClusterExtension clusters = ClusterExtension.perTest();

    @TempDir
    Path dir;

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> endpoints(ProcessCluster cluster) {
        return cluster.nodes().stream().map(n -> "127.0.0.1:" + n.apiPort()).toList();
    }

    @Test
    void when_theClientTalksToACluster_then_everyTypedCallWorks() throws Exception {
        ProcessCluster cluster = clusters.start(3, ClusterOptions.defaults());
        try (SkiffClient skiff = SkiffClient.builder().endpoints(endpoints(cluster)).build()) {
            // KV: put, exact bytes back, CAS with the current index on a mismatch, delete
            byte[] binary = new byte[70_000];
            new Random(16).nextBytes(binary);
            long index = skiff.put("client/bin", binary);
            KeyValue read = skiff.get("client/bin", Consistency.CONSISTENT).orElseThrow();
            assertThat(read.value()).isEqualTo(binary);
            assertThat(read.modifyIndex()).isEqualTo(index);
            assertThat(skiff.get("client/none")).isEmpty();

            long created = skiff.cas("client/counter", utf8("1"), 0);
            assertThatThrownBy(() -> skiff.cas("client/counter", utf8("x"), 0))
                    .isInstanceOfSatisfying(CasMismatchException.class, e -> assertThat(e.currentModifyIndex()).isEqualTo(created));
            long updated = skiff.cas("client/counter", utf8("2"), created);
            KeyValue detailed = skiff.getDetailed("client/counter", Consistency.DEFAULT).orElseThrow();
            assertThat(detailed.createIndex()).isEqualTo(created);
            assertThat(detailed.modifyIndex()).isEqualTo(updated);
            assertThat(detailed.valueAsString()).isEqualTo("2");
            assertThat(skiff.delete("client/counter").deleted()).isTrue();
            assertThat(skiff.delete("client/counter").deleted()).isFalse();
            assertThatThrownBy(() -> skiff.put("", utf8("x"))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> skiff.put("k".repeat(2000), utf8("x")))
                    .isInstanceOfSatisfying(RequestRejectedException.class, e -> assertThat(e.status()).isEqualTo(400));

            // listing with paging
            for (int i = 0; i < 7; i++) {
                skiff.put("page/" + i, utf8("v" + i));
            }
            KvPage first = skiff.list("page/", null, 3, Consistency.DEFAULT);
            assertThat(first.items()).extracting(KeyValue::key).containsExactly("page/0", "page/1", "page/2");
            assertThat(first.more()).isTrue();
            List<String> all = new ArrayList<>();
            skiff.listAll("page/", 3, Consistency.CONSISTENT).forEach(kv -> all.add(kv.key() + "=" + kv.valueAsString()));
            assertThat(all).containsExactly("page/0=v0", "page/1=v1", "page/2=v2", "page/3=v3", "page/4=v4", "page/5=v5", "page/6=v6");

            // cluster: status, members, leadership transfer
            NodeStatus status = skiff.status();
            NodeProcess leader = cluster.awaitLeader();
            assertThat(status.leaderId()).isEqualTo(leader.id());
            assertThat(status.members()).hasSize(3);
            assertThat(skiff.members()).extracting(Member::id).containsExactlyInAnyOrder("n1", "n2", "n3");
            String target = cluster.nodes().stream().filter(n -> n != leader).findFirst().orElseThrow().id();
            assertThat(skiff.transferLeadership(target).previousLeader()).isEqualTo(leader.id());
            await().atMost(Duration.ofSeconds(20)).until(() -> cluster.awaitLeader().id().equals(target));
            assertThatThrownBy(() -> skiff.removeMember("n9")).isInstanceOf(NotFoundException.class);

            // snapshots: take, save (with progress), the file is the node's snapshot
            SnapshotInfo taken = skiff.takeSnapshot();
            assertThat(taken.index()).isGreaterThanOrEqualTo(index);
            AtomicLong progressed = new AtomicLong();
            Path file = dir.resolve("backup.snap");
            SnapshotInfo saved = skiff.saveSnapshot(file, (done, total) -> progressed.set(done));
            assertThat(Files.size(file)).isEqualTo(saved.size()).isEqualTo(progressed.get()).isPositive();
            assertThat(dir.resolve("backup.snap.part")).doesNotExist();
            assertThatThrownBy(() -> skiff.saveSnapshot(dir.resolve("missing/x.snap"), (d, t) -> { }))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not exist");
        }
    }

    @Test
    void when_theFirstEndpointIsDown_then_theNextAnswers_andTheClientStaysWithIt() {
        ProcessCluster cluster = clusters.start(1, ClusterOptions.defaults());
        String dead = "127.0.0.1:" + FreePorts.next();
        List<String> retries = new CopyOnWriteArrayList<>();
        try (SkiffClient skiff = SkiffClient.builder().endpoints(dead, "127.0.0.1:" + cluster.nodes().get(0).apiPort())
                .retryListener((method, path, endpoint, reason, delay) -> retries.add(endpoint + " " + reason)).build()) {
            skiff.put("failover", utf8("v"));
            assertThat(retries).hasSize(1).allMatch(r -> r.startsWith(dead) && r.contains("cannot connect"));
            assertThat(skiff.get("failover").orElseThrow().valueAsString()).isEqualTo("v");
            assertThat(retries).as("the second request goes straight to the endpoint that answered").hasSize(1);
        }
        try (SkiffClient nobody = SkiffClient.builder().endpoints(dead).retryBudget(Duration.ofMillis(500)).build()) {
            assertThatThrownBy(() -> nobody.put("x", utf8("v"))).isInstanceOf(UnavailableException.class)
                    .hasMessageContaining(dead);
        }
    }

    @Test
    void when_theClusterHasNoLeader_then_a503IsRetriedAfterRetryAfter_untilTheWriteIsApplied() throws Exception {
        ProcessCluster cluster = clusters.start(3, ClusterOptions.defaults());
        NodeProcess leader = cluster.awaitLeader();
        List<NodeProcess> followers = cluster.nodes().stream().filter(n -> n != leader).toList();
        followers.forEach(cluster::kill9);
        // wait until the lone node has stepped down, so that a write gets 503 (surely not applied), never 504
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> !"leader".equals(leader.client().status().path("state").asText()));

        List<Duration> delays = new CopyOnWriteArrayList<>();
        List<String> reasons = new CopyOnWriteArrayList<>();
        try (SkiffClient skiff = SkiffClient.builder().endpoints("127.0.0.1:" + leader.apiPort())
                .retryBudget(Duration.ofSeconds(60))
                .retryListener((method, path, endpoint, reason, delay) -> {
                    delays.add(delay);
                    reasons.add(reason);
                }).build()) {
            CompletableFuture<Long> write = CompletableFuture.supplyAsync(() -> skiff.put("after-outage", utf8("applied")));
            await().atMost(Duration.ofSeconds(20)).until(() -> reasons.size() >= 2);
            assertThat(write).isNotDone();
            followers.forEach(cluster::restart);
            long index = write.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(index).isPositive();
            assertThat(reasons).allMatch(r -> r.startsWith("503"));
            // the node says Retry-After: 1; with one endpoint every retry waits for it
            assertThat(delays).allMatch(d -> d.equals(Duration.ofSeconds(1)));
            assertThat(skiff.get("after-outage", Consistency.CONSISTENT).orElseThrow().valueAsString()).isEqualTo("applied");
        }
    }
}
