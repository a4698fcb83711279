package dev.skiff.kv;

import dev.skiff.raft.FsmSnapshot;
import dev.skiff.raft.LogEntry;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.skiff.kv.KvFixtures.bytes;
import static dev.skiff.kv.KvFixtures.contents;
import static dev.skiff.kv.KvFixtures.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KvSnapshotTest {

    @Test
    void when_snapshotRestored_then_sameEntriesAndAppliedIndex() throws IOException {
        KvStateMachine source = new KvStateMachine();
        source.applyBatch(KvFixtures.randomCommands(new Random(1), 1, 3_000, 500));
        source.apply(KvFixtures.entry(3_001, KvCommand.Put.of("é/😀", new byte[200_000]))); // spans blocks
        source.apply(put(3_002, "empty", ""));

        KvStateMachine target = new KvStateMachine();
        target.restore(new ByteArrayInputStream(persist(source.snapshot())));

        assertThat(contents(target.state())).isEqualTo(contents(source.state())).hasSizeGreaterThan(100);
        assertThat(target.appliedIndex()).isEqualTo(3_002);
        // the restored state keeps working
        assertThat(target.apply(put(3_003, "empty", "now"))).isEqualTo(new KvResult.Written(3_003));
        assertThat(target.get("empty").orElseThrow().createIndex()).isEqualTo(3_002);
    }

    @Test
    void when_emptyStateRestored_then_empty() throws IOException {
        KvStateMachine target = new KvStateMachine();
        target.apply(put(1, "old", "x"));
        target.restore(new ByteArrayInputStream(persist(new KvStateMachine().snapshot())));
        assertThat(target.state().size()).isZero();
        assertThat(target.appliedIndex()).isZero();
    }

    @Test
    void when_appliesContinueDuringPersist_then_snapshotHoldsExactlyTheStateAtSnapshotTime() throws Exception {
        KvStateMachine fsm = new KvStateMachine();
        fsm.applyBatch(KvFixtures.randomCommands(new Random(2), 1, 20_000, 2_000));
        List<KvEntry> atSnapshot = contents(fsm.state());
        FsmSnapshot snapshot = fsm.snapshot();

        // Change the same keys before persist starts (a snapshot that reads live state would
        // see these), then persist on another thread, as Raft does, while applies go on.
        List<LogEntry> later = KvFixtures.randomCommands(new Random(3), 20_001, 20_000, 2_000);
        fsm.applyBatch(later.subList(0, 5_000));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CountDownLatch persisting = new CountDownLatch(1);
        CompletableFuture<Void> persisted = CompletableFuture.runAsync(() -> {
            try {
                persisting.countDown();
                snapshot.persist(out);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThat(persisting.await(10, TimeUnit.SECONDS)).isTrue();
        for (int i = 5_000; i < later.size(); i += 100) {
            fsm.applyBatch(later.subList(i, i + 100));
        }
        persisted.get(30, TimeUnit.SECONDS);
        snapshot.release();

        KvStateMachine restored = new KvStateMachine();
        restored.restore(new ByteArrayInputStream(out.toByteArray()));
        assertThat(restored.appliedIndex()).isEqualTo(20_000);
        assertThat(contents(restored.state())).isEqualTo(atSnapshot);
        assertThat(contents(fsm.state())).isNotEqualTo(atSnapshot);
    }

    @Test
    void when_anyBitFlipped_then_rejectedWithOffsetAndStateUnchanged() throws IOException {
        byte[] good = persist(sampleState().snapshot());
        KvStateMachine target = targetWithOwnState();
        List<KvEntry> before = contents(target.state());
        Random random = new Random(5);
        int flips = 0;
        // Every bit of the header and the first block's framing, then random bits anywhere.
        for (int bit = 0; bit < 8 * 40; bit++) {
            assertFlipRejected(good, bit, target);
            flips++;
        }
        for (int i = 0; i < 400; i++) {
            assertFlipRejected(good, random.nextInt(good.length * 8), target);
            flips++;
        }
        assertThat(contents(target.state())).isEqualTo(before);
        assertThat(target.appliedIndex()).isEqualTo(7);
        System.out.println("snapshot corruption test: " + flips + " bit flips in " + good.length + " bytes, all rejected");
    }

    @Test
    void when_truncatedAnywhere_then_rejectedAndStateUnchanged() throws IOException {
        byte[] good = persist(sampleState().snapshot());
        KvStateMachine target = targetWithOwnState();
        List<KvEntry> before = contents(target.state());
        for (int length = 0; length < good.length; length += 1 + length / 7) {
            byte[] cut = Arrays.copyOf(good, length);
            assertThatThrownBy(() -> target.restore(new ByteArrayInputStream(cut)))
                    .as("cut at %d of %d", length, good.length)
                    .isInstanceOf(CorruptSnapshotException.class);
        }
        assertThatThrownBy(() -> target.restore(new ByteArrayInputStream(Arrays.copyOf(good, good.length - 1))))
                .hasMessageContaining("truncated");
        assertThat(contents(target.state())).isEqualTo(before);
    }

    @Test
    void when_bytesFollowTheEnd_then_rejected() throws IOException {
        byte[] good = persist(sampleState().snapshot());
        byte[] longer = Arrays.copyOf(good, good.length + 1);
        assertThatThrownBy(() -> new KvStateMachine().restore(new ByteArrayInputStream(longer)))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("byte offset " + good.length)
                .hasMessageContaining("after the end block");
    }

    @Test
    void when_notASnapshotOrNewerVersion_then_clearError() throws IOException {
        byte[] good = persist(sampleState().snapshot());
        assertThatThrownBy(() -> new KvStateMachine().restore(new ByteArrayInputStream(bytes("hello, world! this is not it"))))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessage("KV snapshot corrupt at byte offset 0: not a Skiff KV snapshot (bad magic: a snapshot starts with \"SKIFFKVS\")");
        byte[] v4 = good.clone();
        ByteBuffer.wrap(v4).putShort(8, (short) 4);
        assertThatThrownBy(() -> new KvStateMachine().restore(new ByteArrayInputStream(v4)))
                .hasMessageContaining("byte offset 8")
                .hasMessageContaining("unsupported snapshot version 4; this server reads versions 1 to 3");
    }

    @Test
    void when_blockChecksumFails_then_messageNamesBlockAndOffset() throws IOException {
        byte[] bad = persist(sampleState().snapshot());
        bad[30 + 4 + 10] ^= 1; // inside the first block's payload; the block starts after the 30-byte header
        assertThatThrownBy(() -> new KvStateMachine().restore(new ByteArrayInputStream(bad)))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("byte offset 30: checksum mismatch in block 0 (")
                .satisfies(e -> assertThat(((CorruptSnapshotException) e).offset()).isEqualTo(30));
    }

    @Test
    void when_writerProducedUnorderedKeys_then_rejectedWithOffset() throws IOException {
        // A well-framed stream with a record that breaks the order: only a buggy writer makes one.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer header = ByteBuffer.allocate(30).put(bytes("SKIFFKVS")).putShort((short) 1).putLong(10).putLong(2);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(header.array(), 0, 26);
        header.putInt((int) crc.getValue());
        out.write(header.array());
        CrcBlockWriter blocks = new CrcBlockWriter(out);
        for (String key : List.of("b", "a")) {
            blocks.writeShort(1);
            blocks.write(bytes(key), 0, 1);
            blocks.writeLong(1);
            blocks.writeLong(1);
            blocks.writeInt(0);
        }
        blocks.finish();
        assertThatThrownBy(() -> new KvStateMachine().restore(new ByteArrayInputStream(out.toByteArray())))
                .isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("byte offset " + (30 + 4 + 23))
                .hasMessageContaining("entry 1 (a) is not after the previous key (b)");
    }

    private static void assertFlipRejected(byte[] good, int bit, KvStateMachine target) {
        byte[] bad = good.clone();
        bad[bit / 8] ^= (byte) (1 << (bit % 8));
        assertThatThrownBy(() -> target.restore(new ByteArrayInputStream(bad)))
                .as("bit %d of %d bytes", bit, good.length)
                .isInstanceOfSatisfying(CorruptSnapshotException.class,
                        e -> assertThat(e.offset()).isBetween(0L, (long) good.length));
    }

    /** A few blocks' worth of entries. */
    private static KvStateMachine sampleState() {
        KvStateMachine fsm = new KvStateMachine();
        fsm.applyBatch(KvFixtures.randomCommands(new Random(9), 1, 4_000, 3_000));
        fsm.apply(KvFixtures.entry(4_001, KvCommand.Put.of("big", new byte[100_000])));
        return fsm;
    }

    private static KvStateMachine targetWithOwnState() {
        KvStateMachine target = new KvStateMachine();
        for (int i = 1; i <= 7; i++) {
            target.apply(put(i, "mine/" + i, "v" + i));
        }
        return target;
    }

    private static byte[] persist(FsmSnapshot snapshot) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        snapshot.persist(out);
        snapshot.release();
        return out.toByteArray();
    }
}
