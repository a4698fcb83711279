package dev.skiff.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skiff.kv.KvCommand;
import dev.skiff.kv.KvCommandCodec;
import dev.skiff.kv.KvSnapshotValidator;
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
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.SnapshotSink;
import dev.skiff.storage.SnapshotSeeder;
import dev.skiff.storage.StorageContext;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code --restore-from s3://bucket/prefix[/snapshot-id]}: locate through the provider, seed, start. */
class S3RestoreTest {

    private static final StorageContext CONTEXT = new StorageContext("restored", "new1", 3, false);
    private final S3ProxyServer server = S3ProxyServer.get();

    @BeforeEach
    void pointTheSdkAtS3Proxy() {
        System.setProperty("aws.endpointUrlS3", server.endpoint().toString());
    }

    @AfterEach
    void clear() {
        System.clearProperty("aws.endpointUrlS3");
    }

    private static SnapshotMeta upload(S3SnapshotStore store, long index, int keys) throws IOException {
        KvStateMachine fsm = new KvStateMachine();
        List<LogEntry> entries = new ArrayList<>();
        for (int i = 1; i <= keys; i++) {
            entries.add(new LogEntry(index - keys + i, 4, LogType.COMMAND,
                    KvCommandCodec.encode(KvCommand.Put.of("key" + i, ("value" + i).getBytes(StandardCharsets.UTF_8)))));
        }
        fsm.applyBatch(entries);
        SnapshotSink sink = store.create(index, 4, Configuration.of(Server.voter("old", "old:1")), 1);
        fsm.snapshot().persist(sink.out());
        return sink.commit();
    }

    private static URI uri(S3Location location, String suffix) {
        return URI.create("s3://" + location.bucket() + "/" + location.prefix() + suffix + "?pathStyle=true");
    }

    @Test
    void when_restoredFromAnS3Prefix_then_aFreshNodeLeadsWithTheState() throws Exception {
        S3SnapshotStore backup = S3SnapshotStore.open(server.client(), S3ProxyServer.location("restore"), 3, false);
        SnapshotMeta older = upload(backup, 500, 100);
        SnapshotMeta newest = upload(backup, 900, 200);

        try (SnapshotSeeder.Source newestSource = SnapshotSeeder.locate(uri(backup.location(), ""), CONTEXT);
             SnapshotSeeder.Source olderSource = SnapshotSeeder.locate(uri(backup.location(), "/" + older.id()), CONTEXT)) {
            assertThat(newestSource.snapshotId()).isEmpty();
            assertThat(newestSource.store().list().get(0)).isEqualTo(newest);
            assertThat(olderSource.snapshotId()).contains(older.id());

            InMemoryLogStore logs = new InMemoryLogStore();
            InMemoryStableStore stable = new InMemoryStableStore();
            InMemorySnapshotStore snapshots = new InMemorySnapshotStore(2);
            Server self = Server.voter("new1", "new1:9000");
            SnapshotSeeder.Seeded seeded = SnapshotSeeder.seed(newestSource.store(), newestSource.snapshotId(), self,
                    snapshots, logs, stable, KvSnapshotValidator::validate);
            assertThat(seeded.source()).isEqualTo(newest);

            KvStateMachine fsm = new KvStateMachine();
            RaftConfig config = RaftConfig.defaults("new1")
                    .withTimeouts(Duration.ofMillis(30), Duration.ofMillis(200), Duration.ofMillis(150));
            try (Raft raft = Raft.create(config, fsm, logs, stable, snapshots, new InMemoryNetwork().transport("new1:9000"))) {
                await().atMost(Duration.ofSeconds(10)).until(() -> raft.state() == RaftState.LEADER);
                assertThat(fsm.get("key200")).isPresent();
                long index = raft.apply(KvCommandCodec.encode(KvCommand.Put.of("next", new byte[] {1})),
                        Duration.ofSeconds(5)).get().index();
                assertThat(index).isGreaterThan(newest.index() + 1);
            }
        }
    }

    @Test
    void when_nothingIsAtTheUri_then_theErrorSaysWhatToGive() throws IOException {
        S3Location empty = S3ProxyServer.location("restore-empty");
        assertThatThrownBy(() -> SnapshotSeeder.locate(uri(empty, ""), CONTEXT))
                .isInstanceOf(FileNotFoundException.class)
                .hasMessageContaining("--restore-from s3://")
                .hasMessageContaining("/<snapshot-id>");
        assertThatThrownBy(() -> SnapshotSeeder.locate(uri(empty, "/1-2-3-0000000a"), CONTEXT))
                .isInstanceOf(FileNotFoundException.class);
    }
}
