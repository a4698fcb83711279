package dev.skiff.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skiff.kv.KvChange;
import dev.skiff.kv.KvState;
import dev.skiff.kv.KvStateMachine;
import dev.skiff.raft.Configuration;
import dev.skiff.raft.InMemoryLogStore;
import dev.skiff.raft.InMemoryNetwork;
import dev.skiff.raft.InMemorySnapshotStore;
import dev.skiff.raft.InMemoryStableStore;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import dev.skiff.raft.Raft;
import dev.skiff.raft.RaftConfig;
import dev.skiff.raft.RaftState;
import dev.skiff.raft.Server;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The watch stream's history (API.md §8): once a restore replaced the state, a {@code from}
 * before it is {@code 410 compacted} (the changes in between are not known), and one at or
 * after it streams; the history is bounded by the memory it takes.
 */
class WatchCompactionTest {

    @Test
    void aFromBeforeWhatTheNodeKeeps_is410Compacted() throws Exception {
        RaftConfig config = RaftConfig.defaults("n1")
                .withTimeouts(Duration.ofMillis(30), Duration.ofMillis(200), Duration.ofMillis(150));
        Raft raft = Raft.create(config, new KvStateMachine(), new InMemoryLogStore(), new InMemoryStableStore(),
                new InMemorySnapshotStore(2), new InMemoryNetwork().transport("n1:9001"));
        raft.bootstrapCluster(Configuration.of(new Server("n1", "n1:9001", dev.skiff.raft.Suffrage.VOTER, "n1:8001"))).join();
        await().atMost(Duration.ofSeconds(10)).until(() -> raft.state() == RaftState.LEADER);
        KvStateMachine served = new KvStateMachine();
        ApiServer api = new ApiServer("127.0.0.1", 0, "n1", raft, served, new InMemorySnapshotStore(2), new ApiMetrics(raft),
                1024, Duration.ofSeconds(5));
        try (HttpClient http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).build()) {
            ByteArrayOutputStream backup = new ByteArrayOutputStream();
            new KvStateMachine().snapshot().persist(backup);
            served.applyRestore(new LogEntry(50, 1, LogType.RESTORE, backup.toByteArray()));

            HttpResponse<String> old = http.send(HttpRequest.newBuilder(URI.create("http://" + api.address()
                    + "/v1/watch?prefix=&from=10")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(old.statusCode()).isEqualTo(410);
            assertThat(new ObjectMapper().readTree(old.body()).path("code").asText()).isEqualTo("compacted");
            assertThat(old.body()).contains("\"oldest\":50");

            HttpResponse<java.io.InputStream> current = http.send(HttpRequest.newBuilder(URI.create("http://" + api.address()
                    + "/v1/watch?prefix=&from=50")).build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(current.statusCode()).isEqualTo(200);
            current.body().close();
        } finally {
            api.close();
            raft.shutdown().join();
        }
    }

    @Test
    void aKeyOverwrittenWithLargeValues_isKeptOnlyUpToTheHistorysBytes() {
        WatchHub hub = new WatchHub(0);
        KvState state = new KvStateMachine().state();
        byte[] small = new byte[100];
        for (long i = 1; i <= 1000; i++) {
            hub.published(state, List.of(new KvChange(i, "k", small, i)), false);
        }
        assertThat(hub.oldestKept()).as("1,000 small changes are all kept").isZero();

        byte[] mebibyte = new byte[1 << 20];
        for (long i = 1001; i <= 1200; i++) {
            hub.published(state, List.of(new KvChange(i, "k", mebibyte, i)), false);
        }
        // 200 MiB written to one key: only what fits in the history's bytes is kept.
        long kept = 1200 - hub.oldestKept();
        assertThat(kept).isBetween(WatchHub.HISTORY_BYTES / mebibyte.length - 1, WatchHub.HISTORY_BYTES / mebibyte.length);
    }
}
