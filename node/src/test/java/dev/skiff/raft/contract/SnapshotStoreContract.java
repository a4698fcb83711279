package dev.skiff.raft.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.raft.Configuration;
import dev.skiff.raft.OpenSnapshot;
import dev.skiff.raft.Server;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.SnapshotSink;
import dev.skiff.raft.SnapshotStore;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * The {@link SnapshotStore} contract, run against every implementation: extend it and
 * implement {@link #newStore(int)}, and {@link #reopen} if the store is durable.
 */
public abstract class SnapshotStoreContract {

    protected static final Configuration CONFIG = Configuration.of(Server.voter("a", "10.0.0.1:7000"),
            Server.nonvoter("b", "10.0.0.2:7000"));

    /** A new, empty store that keeps the {@code retain} newest snapshots. */
    protected abstract SnapshotStore newStore(int retain) throws IOException;

    /** Opens {@code store}'s storage again, as a restarted process would; non-durable stores return it. */
    protected SnapshotStore reopen(SnapshotStore store) throws IOException {
        return store;
    }

    protected static byte[] data(int size, long seed) {
        byte[] b = new byte[size];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    protected static SnapshotMeta write(SnapshotStore s, long index, long term, byte[] data) throws IOException {
        SnapshotSink sink = s.create(index, term, CONFIG, index - 1);
        // Written in uneven pieces, as a streaming codec would.
        int pos = 0;
        int step = 1;
        while (pos < data.length) {
            int n = Math.min(step, data.length - pos);
            sink.out().write(data, pos, n);
            pos += n;
            step = step * 3 + 1;
        }
        return sink.commit();
    }

    protected static byte[] readAll(SnapshotStore s, String id) throws IOException {
        try (OpenSnapshot open = s.open(id)) {
            return open.data().readAllBytes();
        }
    }

    @Test
    void when_deleted_then_neitherListedNorOpenable_andDeletingAgainOrAnUnknownIdDoesNothing() throws IOException {
        SnapshotStore s = newStore(3);
        SnapshotMeta old = write(s, 10, 1, data(1_000, 7));
        SnapshotMeta kept = write(s, 20, 1, data(1_000, 8));
        s.delete(old.id());
        assertThat(s.list()).containsExactly(kept);
        assertThatThrownBy(() -> s.open(old.id())).isInstanceOf(FileNotFoundException.class);
        s.delete(old.id());
        s.delete("../" + kept.id());
        s.delete("no-such-snapshot");
        assertThat(reopen(s).list()).containsExactly(kept);
        assertThat(readAll(reopen(s), kept.id())).isEqualTo(data(1_000, 8));
    }

    @Test
    void when_committed_then_listedWithSizeChecksumAndReadableIdentical() throws IOException {
        SnapshotStore s = newStore(2);
        byte[] data = data(200_000, 1);
        SnapshotMeta meta = write(s, 100, 3, data);
        CRC32C crc = new CRC32C();
        crc.update(data);
        assertThat(meta.size()).isEqualTo(data.length);
        assertThat(meta.checksum()).isEqualTo("crc32c:" + Long.toHexString(crc.getValue()));
        assertThat(meta.index()).isEqualTo(100);
        assertThat(meta.term()).isEqualTo(3);
        assertThat(meta.configuration()).isEqualTo(CONFIG);
        assertThat(meta.configurationIndex()).isEqualTo(99);
        assertThat(s.list()).containsExactly(meta);

        SnapshotStore r = reopen(s);
        assertThat(r.list()).containsExactly(meta);
        try (OpenSnapshot open = r.open(meta.id())) {
            assertThat(open.meta()).isEqualTo(meta);
            assertThat(open.data().readAllBytes()).isEqualTo(data);
        }
    }

    @Test
    void when_emptySnapshotCommitted_then_itReadsBackEmpty() throws IOException {
        SnapshotStore s = newStore(2);
        SnapshotMeta meta = write(s, 5, 1, new byte[0]);
        assertThat(meta.size()).isZero();
        assertThat(readAll(s, meta.id())).isEmpty();
    }

    @Test
    void when_notYetCommittedOrCancelled_then_nothingIsVisible() throws IOException {
        SnapshotStore s = newStore(2);
        SnapshotSink pending = s.create(10, 1, CONFIG, 1);
        pending.out().write(data(1000, 2));
        assertThat(s.list()).isEmpty();
        assertThatThrownBy(() -> s.open(pending.id())).isInstanceOf(FileNotFoundException.class);
        pending.cancel();
        assertThat(s.list()).isEmpty();
        assertThat(reopen(s).list()).isEmpty();
    }

    @Test
    void when_unknownId_then_openThrowsFileNotFound() throws IOException {
        SnapshotStore s = newStore(2);
        assertThatThrownBy(() -> s.open("no-such-snapshot")).isInstanceOf(FileNotFoundException.class);
    }

    @Test
    void when_several_then_listedNewestFirstByTermThenIndex() throws IOException {
        SnapshotStore s = newStore(10);
        SnapshotMeta a = write(s, 100, 1, data(10, 1));
        SnapshotMeta c = write(s, 50, 3, data(10, 3));
        SnapshotMeta b = write(s, 200, 1, data(10, 2));
        SnapshotMeta d = write(s, 80, 3, data(10, 4));
        assertThat(s.list()).containsExactly(d, c, b, a);
        assertThat(reopen(s).list()).containsExactly(d, c, b, a);
    }

    @Test
    void when_moreThanRetainCommitted_then_onlyTheNewestAreKept() throws IOException {
        SnapshotStore s = newStore(2);
        SnapshotMeta first = write(s, 10, 1, data(100, 1));
        write(s, 20, 1, data(100, 2));
        SnapshotMeta third = write(s, 30, 1, data(100, 3));
        SnapshotMeta fourth = write(s, 40, 2, data(100, 4));
        assertThat(s.list()).containsExactly(fourth, third);
        assertThatThrownBy(() -> s.open(first.id())).isInstanceOf(FileNotFoundException.class);
        assertThat(readAll(s, third.id())).isEqualTo(data(100, 3));
    }

    @Test
    void when_snapshotReadWhileAnotherIsWritten_then_bothAreIntact() throws Exception {
        SnapshotStore s = newStore(3);
        SnapshotMeta old = write(s, 10, 1, data(500_000, 1));
        CompletableFuture<SnapshotMeta> writing = CompletableFuture.supplyAsync(() -> {
            try {
                return write(s, 20, 1, data(500_000, 2));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThat(readAll(s, old.id())).isEqualTo(data(500_000, 1));
        SnapshotMeta fresh = writing.get();
        assertThat(readAll(s, fresh.id())).isEqualTo(data(500_000, 2));
        assertThat(s.list()).containsExactly(fresh, old);
    }

    @Test
    void when_idsAreCreated_then_theyAreUnique() throws IOException {
        SnapshotStore s = newStore(5);
        SnapshotSink one = s.create(10, 1, CONFIG, 1);
        SnapshotSink two = s.create(10, 1, CONFIG, 1);
        assertThat(one.id()).isNotEqualTo(two.id());
        one.cancel();
        two.cancel();
    }
}
