package dev.skiff.kv;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KvKeysTest {

    @Test
    void when_sortingStrings_then_orderIsUnsignedUtf8ByteOrder() {
        Random random = new Random(7);
        // Code points chosen to hit each UTF-8 length and both sides of the surrogate range.
        int[] alphabet = {'a', 'z', '/', 0x7F, 0xE9, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFD, 0x10000, 0x1F600, 0x10FFFF};
        List<String> strings = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            StringBuilder s = new StringBuilder();
            for (int n = random.nextInt(5); n >= 0; n--) {
                s.appendCodePoint(alphabet[random.nextInt(alphabet.length)]);
            }
            strings.add(s.toString());
        }
        List<String> byOrder = new ArrayList<>(strings);
        byOrder.sort(KvKeys.ORDER);
        List<String> byBytes = new ArrayList<>(strings);
        byBytes.sort((a, b) -> Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8)));
        assertThat(byOrder).isEqualTo(byBytes);
        // String.compareTo disagrees here, which is why the project has its own order.
        assertThat("\uFFFD".compareTo("\uD83D\uDE00")).isPositive();
        assertThat(KvKeys.ORDER.compare("\uFFFD", "\uD83D\uDE00")).isNegative();
    }

    @Test
    void when_keyValid_then_returnsUtf8Length() {
        assertThat(KvKeys.requireValid("a/b")).isEqualTo(3);
        assertThat(KvKeys.requireValid("é😀")).isEqualTo(6);
        assertThat(KvKeys.requireValid("é".repeat(512))).isEqualTo(1024);
    }

    @Test
    void when_keyInvalid_then_errorNamesTheProblem() {
        assertThatThrownBy(() -> KvKeys.requireValid("")).hasMessageContaining("empty");
        assertThatThrownBy(() -> KvKeys.requireValid(null)).hasMessageContaining("null");
        assertThatThrownBy(() -> KvKeys.requireValid("x".repeat(1025)))
                .hasMessageContaining("1025 UTF-8 bytes").hasMessageContaining("1024");
        assertThatThrownBy(() -> KvKeys.requireValid("é".repeat(512) + "x")).hasMessageContaining("1025");
        assertThatThrownBy(() -> KvKeys.requireValid("a\uD800b")).hasMessageContaining("unpaired surrogate at char 1");
        assertThatThrownBy(() -> KvKeys.requireValid("a\uDC00")).hasMessageContaining("unpaired surrogate");
    }

    @Test
    void when_decodingMalformedUtf8_then_rejected() {
        byte[] overlong = {'a', (byte) 0xC0, (byte) 0xAF};
        byte[] cut = {'a', (byte) 0xE2, (byte) 0x82};
        byte[] encodedSurrogate = {(byte) 0xED, (byte) 0xA0, (byte) 0x80};
        for (byte[] bad : List.of(overlong, cut, encodedSurrogate)) {
            assertThatThrownBy(() -> KvKeys.decode(bad, 0, bad.length))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not well-formed UTF-8");
        }
        byte[] good = "xé😀".getBytes(StandardCharsets.UTF_8);
        assertThat(KvKeys.decode(good, 1, good.length - 1)).isEqualTo("é😀");
    }
}
