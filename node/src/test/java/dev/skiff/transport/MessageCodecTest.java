package dev.skiff.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import dev.skiff.raft.message.AppendEntries;
import dev.skiff.raft.message.RaftMessage;
import dev.skiff.raft.message.TimeoutNow;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MessageCodecTest {

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 20260101})
    void randomMessagesRoundTripExactly(long seed) {
        var messages = new RandomMessages(new SplittableRandom(seed));
        Set<Class<?>> kinds = new HashSet<>();
        for (int i = 0; i < 2_000; i++) {
            RaftMessage message = messages.next();
            byte[] encoded = MessageCodec.encode(message);

            assertThat(encoded).hasSize(MessageCodec.encodedSize(message));
            assertThat(MessageCodec.decode(encoded)).as("seed %d message %d", seed, i).isEqualTo(message);
            kinds.add(message.getClass());
        }
        assertThat(kinds).hasSize(RandomMessages.KINDS);
    }

    @Test
    void decodesFromTheMiddleOfALargerArrayAndEncodesIntoAPresizedBuffer() {
        RaftMessage message = new RandomMessages(new SplittableRandom(7)).of(0);
        int size = MessageCodec.encodedSize(message);
        ByteBuffer buffer = ByteBuffer.allocate(size + 10);
        buffer.position(5);
        MessageCodec.encode(message, buffer);

        assertThat(buffer.position()).isEqualTo(5 + size);
        assertThat(MessageCodec.decode(buffer.array(), 5, size)).isEqualTo(message);
    }

    @Test
    void everyTruncationIsRejectedWithAClearError() {
        var messages = new RandomMessages(new SplittableRandom(11));
        for (int kind = 0; kind < RandomMessages.KINDS; kind++) {
            byte[] encoded = MessageCodec.encode(messages.of(kind));
            int step = Math.max(1, encoded.length / 200);
            for (int cut = 0; cut < encoded.length; cut += step) {
                int length = cut;
                assertThatThrownBy(() -> MessageCodec.decode(encoded, 0, length))
                        .isInstanceOf(MalformedMessageException.class)
                        .hasMessageContaining("malformed raft message at offset");
            }
        }
    }

    @Test
    void trailingBytesAreRejected() {
        byte[] encoded = MessageCodec.encode(new TimeoutNow(3, "a", "h:1", "b"));
        byte[] longer = Arrays.copyOf(encoded, encoded.length + 1);

        assertThatThrownBy(() -> MessageCodec.decode(longer))
                .isInstanceOf(MalformedMessageException.class)
                .hasMessageContaining("1 trailing bytes");
    }

    @Test
    void anotherVersionIsRejectedByName() {
        byte[] encoded = MessageCodec.encode(new TimeoutNow(3, "a", "h:1", "b"));
        encoded[0] = 1; // before log incarnations

        assertThatThrownBy(() -> MessageCodec.decode(encoded))
                .isInstanceOf(MalformedMessageException.class)
                .hasMessageContaining("unsupported wire version 1");
    }

    @Test
    void unknownKindIsRejected() {
        byte[] encoded = MessageCodec.encode(new TimeoutNow(3, "a", "h:1", "b"));
        encoded[1] = 99;

        assertThatThrownBy(() -> MessageCodec.decode(encoded))
                .isInstanceOf(MalformedMessageException.class)
                .hasMessageContaining("unknown message kind 99");
    }

    @Test
    void anAbsurdEntryCountIsRejectedBeforeAnythingIsAllocated() {
        byte[] encoded = MessageCodec.encode(heartbeat());
        // The entry count is the last field of an empty AppendEntries.
        ByteBuffer.wrap(encoded).putInt(encoded.length - 4, Integer.MAX_VALUE);

        assertThatThrownBy(() -> MessageCodec.decode(encoded))
                .isInstanceOf(MalformedMessageException.class)
                .hasMessageContaining("entry count 2147483647 is impossible");
    }

    @Test
    void anAbsurdPayloadLengthIsRejected() {
        AppendEntries one = withEntries(List.of(new LogEntry(1, 1, LogType.COMMAND, new byte[] {1, 2, 3})));
        byte[] encoded = MessageCodec.encode(one);
        ByteBuffer.wrap(encoded).putInt(encoded.length - 3 - 4, Integer.MAX_VALUE - 1);

        assertThatThrownBy(() -> MessageCodec.decode(encoded))
                .isInstanceOf(MalformedMessageException.class)
                .hasMessageContaining("entry 0 payload length 2147483646 is impossible");
    }

    @Test
    void anUnknownEntryTypeAndAnInvalidIndexAreRejected() {
        AppendEntries one = withEntries(List.of(new LogEntry(1, 1, LogType.COMMAND, new byte[0])));
        byte[] badType = MessageCodec.encode(one);
        badType[badType.length - 4 - 1] = 77;
        byte[] badIndex = MessageCodec.encode(one);
        ByteBuffer.wrap(badIndex).putLong(badIndex.length - 4 - 1 - 8 - 8, 0);

        assertThatThrownBy(() -> MessageCodec.decode(badType))
                .isInstanceOf(MalformedMessageException.class)
                .hasMessageContaining("unknown log entry type code 77");
        assertThatThrownBy(() -> MessageCodec.decode(badIndex))
                .isInstanceOf(MalformedMessageException.class)
                .hasMessageContaining("log index must be >= 1");
    }

    @Test
    void garbageAndBitFlipsNeverEscapeAsAnythingButMalformedMessage() {
        var random = new SplittableRandom(99);
        var messages = new RandomMessages(random);
        int rejected = 0;
        for (int i = 0; i < 5_000; i++) {
            byte[] input;
            if (i % 2 == 0) {
                input = new byte[random.nextInt(0, 300)];
                random.nextBytes(input);
                if (input.length > 0 && random.nextBoolean()) {
                    input[0] = MessageCodec.VERSION; // get past the version check now and then
                }
            } else {
                input = MessageCodec.encode(messages.next());
                input[random.nextInt(input.length)] ^= (byte) (1 << random.nextInt(8));
            }
            try {
                MessageCodec.decode(input);
            } catch (MalformedMessageException expected) {
                rejected++;
            }
        }
        System.out.println("codec garbage test: 5000 inputs, " + rejected + " rejected, 0 other exceptions");
        assertThat(rejected).isGreaterThan(2_500);
    }

    private static AppendEntries heartbeat() {
        return withEntries(List.of());
    }

    private static AppendEntries withEntries(List<LogEntry> entries) {
        return new AppendEntries(2, "leader", "127.0.0.1:9001", "f", 0, 0, entries, 0, 0);
    }

    @Test
    void batchRoundTripsAndRejectsGarbageWhole() {
        var messages = new RandomMessages(new SplittableRandom(7));
        java.util.List<RaftMessage> batch = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            batch.add(messages.next());
        }
        byte[] encoded = MessageCodec.encodeBatch(batch);
        assertThat(MessageCodec.decodeBatch(encoded)).isEqualTo(batch);
        for (int cut = 0; cut < encoded.length; cut += 7) {
            byte[] truncated = java.util.Arrays.copyOf(encoded, cut);
            assertThatThrownBy(() -> MessageCodec.decodeBatch(truncated)).isInstanceOf(MalformedMessageException.class);
        }
    }

    @Test
    void aBatchEncodesWithRoomAroundItAndDecodesFromTheMiddleOfAnArray() {
        var messages = new RandomMessages(new SplittableRandom(11));
        List<RaftMessage> batch = List.of(messages.next(), messages.next(), messages.next());
        byte[] plain = MessageCodec.encodeBatch(batch);

        byte[] framed = MessageCodec.encodeBatch(batch, 13, 5);

        assertThat(framed).hasSize(13 + plain.length + 5);
        assertThat(Arrays.copyOfRange(framed, 13, 13 + plain.length)).isEqualTo(plain);
        Arrays.fill(framed, 0, 13, (byte) 0x7f);
        Arrays.fill(framed, 13 + plain.length, framed.length, (byte) 0x7f);
        assertThat(MessageCodec.decodeBatch(framed, 13, plain.length)).isEqualTo(batch);
        // Errors count offsets from the batch's start, and the bytes around it are not read.
        assertThatThrownBy(() -> MessageCodec.decodeBatch(framed, 13, plain.length - 1))
                .isInstanceOf(MalformedMessageException.class);
        assertThatThrownBy(() -> MessageCodec.decodeBatch(framed, 13, plain.length + 1))
                .hasMessageContaining("1 trailing bytes after the message batch");
    }
}
