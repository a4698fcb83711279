package dev.skiff.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.it.cluster.ClusterExtension;
import dev.skiff.it.cluster.ClusterOptions;
import dev.skiff.it.cluster.HttpReply;
import dev.skiff.it.cluster.NodeProcess;
import dev.skiff.it.cluster.ProcessCluster;
import dev.skiff.it.cluster.Writes;
import dev.skiff.wal.SegmentedLogStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A follower whose data directory is lost (issue #11): the operator's recovery, as the corrupt-WAL
 * message advises, is to wipe it and start the node again with the same flags. The node must
 * catch up with no operator step, say it is not ready until it has, and lose no acknowledged
 * write; the leader must notice that the follower no longer has what it acknowledged instead of
 * probing the same index forever.
 */
class DiskLossIT {

    private static final int KEYS = 300;
    private static final int READY_MAX_LAG = 5;

    @RegisterExtension
    final ClusterExtension clusters = ClusterExtension.perTest();

    @Test
    void when_aFollowersDataDirectoryIsWipedAndItRestartsWithTheSameFlags_then_itCatchesUpAndNothingIsLost() {
        ProcessCluster cluster = clusters.start(3, ClusterOptions.defaults()
                .withFlags("--ready-max-lag", Integer.toString(READY_MAX_LAG)));
        NodeProcess leader = cluster.awaitLeader();
        for (int i = 0; i < KEYS; i++) {
            assertThat(leader.client().put("k/" + i, "v" + i).status()).isEqualTo(200);
        }
        NodeProcess follower = cluster.nodes().stream().filter(n -> n != leader).findFirst().orElseThrow();
        cluster.awaitCaughtUp(follower);

        cluster.kill9(follower);
        deleteRecursively(follower.dataDir());
        long restartedAt = System.nanoTime();
        cluster.restart(follower);

        // Not ready while it lags: every 200 it gives must come with its applied index within
        // --ready-max-lag of the leader's commit index (in the body: what the node judged by).
        int[] answers = {0, 0};
        await(follower + " ready again").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() -> {
            HttpReply ready;
            try {
                ready = follower.client().send("GET", "/readyz", null);
            } catch (UncheckedIOException notListeningYet) {
                return false;
            }
            if (ready.status() == 503) {
                answers[0]++;
                return false;
            }
            assertThat(ready.status()).isEqualTo(200);
            answers[1]++;
            long lag = ready.json().path("leader_commit_index").asLong() - ready.json().path("applied_index").asLong();
            assertThat(lag).as("lag behind the leader when ready: %s", ready.text()).isLessThanOrEqualTo(READY_MAX_LAG);
            return true;
        });
        long leaderCommit = leader.client().status().path("commit_index").asLong();
        long applied = follower.client().status().path("applied_index").asLong();
        System.out.printf("disk loss: %s wiped and restarted; ready after %d ms, %d answers 503 before (applied %d, leader "
                + "commit %d)%n", follower, (System.nanoTime() - restartedAt) / 1_000_000, answers[0], applied, leaderCommit);
        assertThat(applied).as("applied index when ready").isGreaterThanOrEqualTo(KEYS - READY_MAX_LAG);

        await(follower + " holds every acknowledged write").atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            for (int i = 0; i < KEYS; i += 7) {
                HttpReply r = follower.client().get("k/" + i, "stale");
                assertThat(r.status()).as("k/%d on %s", i, follower).isEqualTo(200);
                assertThat(r.text()).isEqualTo("v" + i);
            }
            assertThat(follower.client().get("k/" + (KEYS - 1), "stale").text()).isEqualTo("v" + (KEYS - 1));
        });
        await("the leader staged the wiped follower and promoted it again").atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(leader.logSince(0))
                        .contains("member answers from a new log").contains("staging it")
                        .contains("staged member has caught up; promoting it to voter"));

        // The wiped node counts again: with the old leader gone it and the third node carry on.
        cluster.kill9(leader);
        Writes.putUntilAcknowledged(cluster, "after-leader-kill", "yes", Duration.ofSeconds(30));
        for (int i = 0; i < KEYS; i += 7) {
            assertThat(Writes.readUntilDefinite(cluster, "k/" + i, Duration.ofSeconds(30)).text()).isEqualTo("v" + i);
        }
    }

    @Test
    void when_theLastRecordsOfAFollowersLogAreCut_then_theLeaderRepairsItAndNothingIsLost() throws IOException {
        ProcessCluster cluster = clusters.start(3, ClusterOptions.defaults()
                .withFlags("--ready-max-lag", Integer.toString(READY_MAX_LAG)));
        NodeProcess leader = cluster.awaitLeader();
        for (int i = 0; i < KEYS; i++) {
            assertThat(leader.client().put("k/" + i, "v" + i).status()).isEqualTo(200);
        }
        NodeProcess follower = cluster.nodes().stream().filter(n -> n != leader).findFirst().orElseThrow();
        cluster.awaitCaughtUp(follower);
        cluster.kill9(follower);
        // A disk that acknowledged an fsync it had not done: the records the follower acknowledged
        // last are gone when it comes back.
        long cutTo;
        try (SegmentedLogStore log = SegmentedLogStore.open(follower.dataDir().resolve("raft").resolve("log"))) {
            cutTo = log.lastIndex() - 3;
            log.truncateSuffix(cutTo);
        }
        long logFrom = leader.logSize();
        cluster.restart(follower);

        await(follower + " ready again").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .ignoreExceptions().until(() -> follower.client().send("GET", "/readyz", null).status() == 200);
        await(follower + " holds every acknowledged write").atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            for (int i = KEYS - 10; i < KEYS; i++) {
                HttpReply r = follower.client().get("k/" + i, "stale");
                assertThat(r.status()).as("k/%d on %s", i, follower).isEqualTo(200);
                assertThat(r.text()).isEqualTo("v" + i);
            }
        });
        long applied = follower.client().status().path("applied_index").asLong();
        System.out.printf("log tail cut: %s lost its entries after %d, caught up to applied %d%n", follower, cutTo, applied);
        assertThat(leader.logSince(logFrom)).as("the leader noticed the follower lost what it had acknowledged")
                .contains("follower lost entries it had acknowledged");
    }

    @Test
    void when_theBootstrapNodeIsWipedAndRestartedWithBootstrap_then_itRejoinsInsteadOfFormingASecondCluster() {
        ProcessCluster cluster = clusters.start(3, ClusterOptions.defaults());
        NodeProcess first = cluster.node("n1");
        for (int i = 0; i < 50; i++) {
            Writes.putUntilAcknowledged(cluster, "b/" + i, "v" + i, Duration.ofSeconds(30));
        }
        cluster.awaitCaughtUp(first);
        cluster.kill9(first);
        Writes.putUntilAcknowledged(cluster, "while-wiped", "yes", Duration.ofSeconds(30));
        deleteRecursively(first.dataDir());
        long logFrom = first.logSize();
        cluster.restart(first); // still with --bootstrap, as its service definition says

        await(first + " follows the cluster's leader and holds its writes").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .untilAsserted(() -> {
            HttpReply r = first.client().get("while-wiped", "stale");
            assertThat(r.status()).isEqualTo(200);
            assertThat(first.client().status().path("latest_configuration").size()).as("members it knows").isEqualTo(3);
        });
        assertThat(first.logSince(logFrom)).contains("not bootstrapping another").doesNotContain("bootstrapped new cluster");
        NodeProcess leader = cluster.awaitLeader();
        assertThat(leader.client().status().path("latest_configuration").size()).isEqualTo(3);
        for (int i = 0; i < 50; i += 5) {
            assertThat(first.client().get("b/" + i, "stale").text()).isEqualTo("v" + i);
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
