package dev.skiff.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A snapshot asked for while another is being taken (a periodic one, typically, after a burst of
 * writes) waits for it and is then taken itself, covering everything applied when it was asked
 * for. It used to fail at once ("a snapshot is already being taken", a 409 to
 * {@code POST /v1/snapshot}), which CI's disaster-recovery test met after writing 100,000 keys.
 */
class SnapshotRequestTest {

    private static final Duration T = Duration.ofSeconds(10);

    /** The node's snapshot store, whose first snapshot is held at its start until {@link #release}. */
    private static final class FirstSnapshotHeld implements SnapshotStore {
        final InMemorySnapshotStore store = new InMemorySnapshotStore(3);
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public SnapshotSink create(long index, long term, Configuration configuration, long configurationIndex)
                throws IOException {
            if (entered.getCount() > 0) {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
            return store.create(index, term, configuration, configurationIndex);
        }

        @Override
        public List<SnapshotMeta> list() throws IOException {
            return store.list();
        }

        @Override
        public OpenSnapshot open(String id) throws IOException {
            return store.open(id);
        }

        @Override
        public void delete(String id) throws IOException {
            store.delete(id);
        }
    }

    @Test
    void aSnapshotAskedForWhileOneIsTaken_isTakenAfterIt_andCoversWhatWasAppliedWhenAskedFor() throws Exception {
        FirstSnapshotHeld snapshots = new FirstSnapshotHeld();
        Raft raft = Raft.create(LocalCluster.fastConfig().withLocalId("n1"), new ListFsm(), new InMemoryLogStore(),
                new InMemoryStableStore(), snapshots, new InMemoryNetwork().transport("n1:9001"));
        try {
            raft.bootstrapCluster(Configuration.of(Server.voter("n1", "n1:9001"))).join();
            await().atMost(T).until(() -> raft.state() == RaftState.LEADER);
            raft.apply(bytes("a"), T).join();
            CompletableFuture<SnapshotHandle> first = raft.snapshot();
            assertThat(snapshots.entered.await(10, TimeUnit.SECONDS)).isTrue();

            long asked = raft.apply(bytes("b"), T).join().index();
            CompletableFuture<SnapshotHandle> second = raft.snapshot();
            assertThat(second).as("waits for the one in progress instead of failing").isNotDone();

            snapshots.release.countDown();
            SnapshotMeta taken = second.get(10, TimeUnit.SECONDS).meta();
            assertThat(first.get(10, TimeUnit.SECONDS).meta().index()).isLessThan(asked);
            assertThat(taken.index()).isGreaterThanOrEqualTo(asked);
            assertThat(snapshots.list()).extracting(SnapshotMeta::index).contains(taken.index());
        } finally {
            snapshots.release.countDown();
            raft.shutdown().join();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
