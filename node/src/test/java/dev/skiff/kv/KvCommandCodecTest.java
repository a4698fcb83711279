package dev.skiff.kv;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KvCommandCodecTest {

    static List<KvCommand> commands() {
        return List.of(
                KvCommand.Put.of("a", new byte[] {1, 2, 3}),
                KvCommand.Put.of("empty/value", new byte[0]),
                new KvCommand.Put("k", new byte[] {9}, OptionalLong.of(0)),
                new KvCommand.Put("k", new byte[] {9}, OptionalLong.of(Long.MAX_VALUE)),
                new KvCommand.Put("é😀/" + "x".repeat(1017), new byte[100_000], OptionalLong.of(42)),
                KvCommand.Delete.of("a"),
                new KvCommand.Delete("a/b/c", OptionalLong.of(0)),
                new KvCommand.Delete("a/b/c", OptionalLong.of(17)));
    }

    @ParameterizedTest
    @MethodSource("commands")
    void when_encodedAndDecoded_then_equal(KvCommand command) {
        byte[] bytes = KvCommandCodec.encode(command);
        assertThat(KvCommandCodec.decode(bytes)).isEqualTo(command);
    }

    @Test
    void when_encodingPut_then_layoutIsTheDocumentedOne() {
        byte[] bytes = KvCommandCodec.encode(new KvCommand.Put("ab", new byte[] {7}, OptionalLong.of(5)));
        // version 1, op put, flag cas, cas 5, key length 2, "ab", value length 1, value 7
        assertThat(HexFormat.of().formatHex(bytes)).isEqualTo("010101" + "0000000000000005" + "0002" + "6162" + "00000001" + "07");
    }

    @Test
    void when_garbage_then_rejectedWithOffsetAndReason() {
        byte[] put = KvCommandCodec.encode(KvCommand.Put.of("ab", new byte[] {7, 8}));
        assertRejected(new byte[0], "offset 0", "truncated");
        assertRejected(withByte(put, 0, 9), "offset 0", "unknown version 9");
        assertRejected(withByte(put, 1, 3), "offset 1", "unknown op 3");
        assertRejected(withByte(put, 2, 0x80), "offset 2", "unknown flags 0x80");
        assertRejected(withShort(put, 3, 0), "offset 3", "key length 0");
        assertRejected(withShort(put, 3, 1025), "offset 3", "key length 1025");
        assertRejected(withShort(put, 3, 50), "truncated key");
        assertRejected(withByte(put, 5, 0xC0), "offset 5", "UTF-8");
        assertRejected(java.util.Arrays.copyOf(put, put.length - 1), "truncated value");
        assertRejected(java.util.Arrays.copyOf(put, 8), "truncated");
        assertRejected(java.util.Arrays.copyOf(put, put.length + 1), "offset " + put.length, "1 trailing bytes");
        assertRejected(withInt(put, 7, Integer.MAX_VALUE), "offset 7", "over the limit");
        byte[] deleteWithCas = KvCommandCodec.encode(new KvCommand.Delete("x", OptionalLong.of(3)));
        assertRejected(withLong(deleteWithCas, 3, -1), "offset 3", "negative cas index");
    }

    @Test
    void when_randomBytes_then_onlyIllegalArgumentException() {
        Random random = new Random(11);
        int decoded = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] bytes = new byte[random.nextInt(24)];
            random.nextBytes(bytes);
            if (random.nextBoolean() && bytes.length > 3) {
                bytes[0] = 1; // past the version check more often
                bytes[1] = (byte) (1 + random.nextInt(2));
                bytes[2] = (byte) random.nextInt(2);
            }
            try {
                KvCommandCodec.decode(bytes);
                decoded++;
            } catch (IllegalArgumentException e) {
                assertThat(e).hasMessageStartingWith("bad KV command at byte offset ");
            }
        }
        assertThat(decoded).isLessThan(20_000);
    }

    @Test
    void when_commandArgumentsInvalid_then_rejectedAtConstruction() {
        assertThatThrownBy(() -> KvCommand.Put.of("", new byte[0])).hasMessageContaining("empty");
        assertThatThrownBy(() -> new KvCommand.Put("k", new byte[0], OptionalLong.of(-1))).hasMessageContaining("cas");
        assertThatThrownBy(() -> new KvCommand.Delete("x".repeat(1025), OptionalLong.empty())).hasMessageContaining("1024");
        assertThatThrownBy(() -> KvCommand.Put.of("k", new byte[KvCommand.MAX_VALUE_BYTES + 1])).hasMessageContaining("limit");
    }

    private static void assertRejected(byte[] bytes, String... fragments) {
        var thrown = assertThatThrownBy(() -> KvCommandCodec.decode(bytes))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("bad KV command at byte offset");
        for (String fragment : fragments) {
            thrown.hasMessageContaining(fragment);
        }
    }

    private static byte[] withByte(byte[] bytes, int at, int value) {
        byte[] copy = bytes.clone();
        copy[at] = (byte) value;
        return copy;
    }

    private static byte[] withShort(byte[] bytes, int at, int value) {
        byte[] copy = bytes.clone();
        ByteBuffer.wrap(copy).putShort(at, (short) value);
        return copy;
    }

    private static byte[] withInt(byte[] bytes, int at, int value) {
        byte[] copy = bytes.clone();
        ByteBuffer.wrap(copy).putInt(at, value);
        return copy;
    }

    private static byte[] withLong(byte[] bytes, int at, long value) {
        byte[] copy = bytes.clone();
        ByteBuffer.wrap(copy).putLong(at, value);
        return copy;
    }
}
