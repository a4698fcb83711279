package dev.skiff.kv;

import static dev.skiff.kv.KvFixtures.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KvSnapshotValidatorTest {

    /** The 30-byte header, then blocks of u32 length, payload, u32 CRC32C; the end block has length 0. */
    private static final int HEADER = 30;

    private static final byte[] GOOD = persist(sampleState());
    /** Where each block starts, the end block last. */
    private static final List<Integer> BLOCKS = blockOffsets(GOOD);

    @Test
    void when_snapshotIsWhole_then_itsAppliedIndexKeysAndLengthAreReported(@TempDir Path dir) throws IOException {
        KvStateMachine source = sampleState();
        KvSnapshotValidator.Valid valid = KvSnapshotValidator.validate(new ByteArrayInputStream(GOOD), GOOD.length);
        assertThat(valid).isEqualTo(new KvSnapshotValidator.Valid(4_001, source.state().size(), GOOD.length));
        assertThat(BLOCKS).as("data blocks and the end block").hasSizeGreaterThanOrEqualTo(4);

        Path file = dir.resolve("backup.snap");
        Files.write(file, GOOD);
        assertThat(KvSnapshotValidator.validate(file)).isEqualTo(valid);
    }

    @Test
    void when_emptyStateSnapshot_then_validWithAppliedIndexZero() throws IOException {
        byte[] empty = persist(new KvStateMachine());
        assertThat(KvSnapshotValidator.validate(new ByteArrayInputStream(empty), empty.length))
                .isEqualTo(new KvSnapshotValidator.Valid(0, 0, empty.length));
    }

    @Test
    void when_garbage_then_refusedAsNotASnapshot() {
        byte[] garbage = bytes("garbage!");
        refused(garbage, garbage.length)
                .hasMessage("not a Skiff KV snapshot (bad magic: a snapshot starts with \"SKIFFKVS\"), at byte offset 0 of 8");
    }

    @Test
    void when_empty_then_refusedAsTruncatedInTheHeader() {
        refused(new byte[0], 0).hasMessage("truncated at byte 0 of 0: the snapshot ends inside the header (0 of 8 bytes present)");
    }

    @Test
    void when_truncatedAtAnyOfSeveralPoints_then_refusedNamingWhere() {
        List<Integer> cuts = new ArrayList<>(List.of(1, 8, 10, HEADER - 1, HEADER, HEADER + 2, 4096, GOOD.length - 8,
                GOOD.length - 1));
        for (int block : BLOCKS) {
            cuts.add(block);
            cuts.add(block + 4);
        }
        for (int cut : cuts) {
            byte[] shorter = Arrays.copyOf(GOOD, cut);
            refused(shorter, cut).as("cut at %d of %d", cut, GOOD.length)
                    .hasMessageStartingWith("truncated at byte " + cut + " of " + cut + ": the snapshot ends inside ");
        }
        refused(Arrays.copyOf(GOOD, 4096), 4096).hasMessageContaining("ends inside block 0 (");
    }

    @Test
    void when_versionIsUnknown_then_refusedNamingIt() {
        byte[] v7 = GOOD.clone();
        ByteBuffer.wrap(v7).putShort(8, (short) 7);
        refused(v7, v7.length).hasMessageStartingWith("unsupported snapshot version 7; this server reads versions 1 to 3")
                .hasMessageEndingWith(", at byte offset 8 of " + v7.length);
    }

    @Test
    void when_aByteFlipsInAnyKindOfPlace_then_refusedNamingWhat() {
        int lastData = BLOCKS.get(BLOCKS.size() - 2);
        int end = BLOCKS.get(BLOCKS.size() - 1);
        int secondBlock = BLOCKS.get(1);
        assertFlipRefused(0, "bad magic");
        assertFlipRefused(9, "unsupported snapshot version");
        assertFlipRefused(12, "checksum mismatch in the header");              // applied index
        assertFlipRefused(20, "checksum mismatch in the header");              // entry count
        assertFlipRefused(HEADER - 1, "checksum mismatch in the header");      // the header's CRC
        assertFlipRefused(secondBlock, "block 1 declares");                      // length field, high byte
        assertFlipRefused(secondBlock + 3, "block 1");                           // length field, low byte
        assertFlipRefused(secondBlock + 4 + 100, "checksum mismatch in block 1 (65536 bytes)");  // payload
        assertFlipRefused(end - 1, "checksum mismatch in block " + (BLOCKS.size() - 2));         // a data block's CRC
        assertFlipRefused(lastData + 4, "checksum mismatch in block " + (BLOCKS.size() - 2));    // the last data block
        assertFlipRefused(end + 3, "block " + (BLOCKS.size() - 1));                                // end block's length
        assertFlipRefused(GOOD.length - 1, "checksum mismatch in block " + (BLOCKS.size() - 1) + " (0 bytes)"); // its CRC
    }

    @Test
    void when_blockChecksumFails_then_messageNamesTheBlockAndItsOffset() {
        byte[] bad = GOOD.clone();
        int third = BLOCKS.get(3);
        bad[third + 50] ^= 0x10;
        refused(bad, bad.length).hasMessageStartingWith("checksum mismatch in block 3 (")
                .hasMessageEndingWith(", at byte offset " + third + " of " + bad.length);
    }

    @Test
    void when_bytesFollowTheEndBlock_then_refusedAsOverLong() {
        byte[] longer = Arrays.copyOf(GOOD, GOOD.length + 5);
        refused(longer, longer.length).hasMessage("bytes after the end block, at byte offset " + GOOD.length + " of "
                + longer.length);
        byte[] twice = new byte[GOOD.length * 2];
        System.arraycopy(GOOD, 0, twice, 0, GOOD.length);
        System.arraycopy(GOOD, 0, twice, GOOD.length, GOOD.length);
        refused(twice, twice.length).hasMessageContaining("bytes after the end block, at byte offset " + GOOD.length + " of ");
    }

    @Test
    void when_theStreamIsShorterThanItsDeclaredLength_then_refusedAsTruncated() {
        refused(GOOD, GOOD.length + 100).hasMessage("truncated at byte " + GOOD.length + " of " + (GOOD.length + 100)
                + ": the data ended before its declared length");
        refused(Arrays.copyOf(GOOD, 4096), 13_001_630).hasMessage("truncated at byte 4096 of 13001630: the data ended "
                + "before its declared length");
    }

    @Test
    void when_theStreamIsLongerThanItsDeclaredLength_then_refused() {
        // The declared length cuts a whole snapshot: the part is truncated.
        refused(GOOD, GOOD.length - 1).hasMessageStartingWith("truncated at byte " + (GOOD.length - 1) + " of "
                + (GOOD.length - 1) + ": the snapshot ends inside block");
        // A whole snapshot, then more than declared.
        byte[] longer = Arrays.copyOf(GOOD, GOOD.length + 1);
        refused(longer, GOOD.length).hasMessage("the snapshot is longer than its declared length of " + GOOD.length
                + " bytes (a complete snapshot ends there; bytes follow it)");
    }

    @Test
    void when_validating_then_theStreamIsReadToItsEnd() throws IOException {
        InputStream in = new ByteArrayInputStream(GOOD);
        KvSnapshotValidator.validate(in, GOOD.length);
        assertThat(in.read()).isEqualTo(-1);
    }

    private static void assertFlipRefused(int offset, String expected) {
        byte[] bad = GOOD.clone();
        bad[offset] ^= (byte) 0x80;
        refused(bad, bad.length).as("byte %d flipped", offset).hasMessageContaining(expected);
        bad = GOOD.clone();
        bad[offset] ^= 0x01;
        refused(bad, bad.length).as("low bit of byte %d flipped", offset).isInstanceOf(InvalidSnapshotException.class);
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> refused(byte[] body, long declared) {
        return assertThatThrownBy(() -> KvSnapshotValidator.validate(new ByteArrayInputStream(body), declared))
                .isInstanceOf(InvalidSnapshotException.class);
    }

    /** Several 64 KiB blocks' worth of entries. */
    private static KvStateMachine sampleState() {
        KvStateMachine fsm = new KvStateMachine();
        fsm.applyBatch(KvFixtures.randomCommands(new Random(11), 1, 4_000, 3_000));
        fsm.apply(KvFixtures.entry(4_001, KvCommand.Put.of("big", new byte[150_000])));
        return fsm;
    }

    private static byte[] persist(KvStateMachine fsm) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            fsm.snapshot().persist(out);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out.toByteArray();
    }

    private static List<Integer> blockOffsets(byte[] snapshot) {
        List<Integer> offsets = new ArrayList<>();
        ByteBuffer buffer = ByteBuffer.wrap(snapshot);
        int at = HEADER;
        while (true) {
            offsets.add(at);
            int length = buffer.getInt(at);
            if (length == 0) {
                return offsets;
            }
            at += 4 + length + 4;
        }
    }
}
