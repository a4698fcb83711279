package dev.skiff.kv;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.OptionalLong;

/**
 * The leader's wall-clock time on a proposed command, so that a point-in-time restore
 * ({@code --restore-to-time}) can tell which entries were committed by a given time. It is an
 * envelope around a command's bytes, not a field of the command, so that every command format
 * (KV, and whatever later ones) carries it the same way and the log entry format is untouched:
 * <pre>
 *   u8  marker = 0x7E    never a {@link KvCommandCodec} version
 *   u64 epochMillis      the proposing leader's clock, before the entry was appended
 *   ... the command's own bytes
 * </pre>
 * Unstamped commands (older entries, nodes without {@code --log-archive}) decode as before.
 * The state machine ignores the stamp: it never reads a clock, stamped or not. Stateless.
 */
public final class CommitStamp {

    static final int MARKER = 0x7E;
    private static final int HEADER = 9;

    private CommitStamp() {
    }

    /** {@code command} with {@code epochMillis} in front. */
    public static byte[] stamp(byte[] command, long epochMillis) {
        ByteBuffer out = ByteBuffer.allocate(HEADER + command.length);
        out.put((byte) MARKER).putLong(epochMillis).put(command);
        return out.array();
    }

    /** The stamp on {@code data}, or empty if it carries none. */
    public static OptionalLong of(byte[] data) {
        if (data.length < HEADER || Byte.toUnsignedInt(data[0]) != MARKER) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(ByteBuffer.wrap(data, 1, 8).getLong());
    }

    /** The command inside {@code data}: {@code data} itself when it carries no stamp. */
    public static byte[] strip(byte[] data) {
        if (data.length < HEADER || Byte.toUnsignedInt(data[0]) != MARKER) {
            return data;
        }
        return Arrays.copyOfRange(data, HEADER, data.length);
    }
}
