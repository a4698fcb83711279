package dev.skiff.kv;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.OptionalLong;

/**
 * The binary form of a {@link KvCommand}: the data of a Raft {@code COMMAND} entry.
 *
 * <p>Format (big-endian), version 1:
 * <pre>
 *   u8  version = 1
 *   u8  op          1 = put, 2 = delete
 *   u8  flags       bit 0: a cas index follows; other bits must be 0
 *   u64 cas         only if flag bit 0
 *   u16 keyLength   1..1024, then keyLength bytes of UTF-8
 *   u32 valueLength put only, then valueLength bytes of value
 * </pre>
 * Nothing may follow. A new field or op means a new version: a server must never apply a
 * command it only partly understands. Stateless and thread-safe.
 */
public final class KvCommandCodec {

    static final int VERSION = 1;
    private static final int OP_PUT = 1;
    private static final int OP_DELETE = 2;
    private static final int FLAG_CAS = 1;

    private KvCommandCodec() {
    }

    /** Encodes a command into a new array of exactly its size. */
    public static byte[] encode(KvCommand command) {
        byte[] key = KvKeys.encode(command.key());
        OptionalLong cas = switch (command) {
            case KvCommand.Put p -> p.cas();
            case KvCommand.Delete d -> d.cas();
        };
        byte[] value = command instanceof KvCommand.Put p ? p.value() : null;
        int size = 3 + (cas.isPresent() ? 8 : 0) + 2 + key.length + (value == null ? 0 : 4 + value.length);
        ByteBuffer out = ByteBuffer.allocate(size);
        out.put((byte) VERSION);
        out.put((byte) (value == null ? OP_DELETE : OP_PUT));
        out.put((byte) (cas.isPresent() ? FLAG_CAS : 0));
        if (cas.isPresent()) {
            out.putLong(cas.getAsLong());
        }
        out.putShort((short) key.length);
        out.put(key);
        if (value != null) {
            out.putInt(value.length);
            out.put(value);
        }
        return out.array();
    }

    /**
     * Decodes a command. The value is copied out of {@code data}.
     *
     * @throws IllegalArgumentException naming what is wrong and its byte offset: an unknown
     *                                  version, op or flag, a bad key, a bad length, truncated
     *                                  data or trailing bytes
     */
    public static KvCommand decode(byte[] data) {
        ByteBuffer in = ByteBuffer.wrap(data);
        try {
            int version = Byte.toUnsignedInt(in.get());
            if (version != VERSION) {
                throw bad(0, "unknown version " + version + " (this server reads version " + VERSION + ")");
            }
            int op = Byte.toUnsignedInt(in.get());
            if (op != OP_PUT && op != OP_DELETE) {
                throw bad(1, "unknown op " + op);
            }
            int flags = Byte.toUnsignedInt(in.get());
            if ((flags & ~FLAG_CAS) != 0) {
                throw bad(2, "unknown flags 0x" + Integer.toHexString(flags));
            }
            OptionalLong cas = OptionalLong.empty();
            if ((flags & FLAG_CAS) != 0) {
                long index = in.getLong();
                if (index < 0) {
                    throw bad(in.position() - 8, "negative cas index " + index);
                }
                cas = OptionalLong.of(index);
            }
            int keyAt = in.position();
            int keyLength = Short.toUnsignedInt(in.getShort());
            if (keyLength < 1 || keyLength > KvKeys.MAX_KEY_BYTES) {
                throw bad(keyAt, "key length " + keyLength + " not in 1.." + KvKeys.MAX_KEY_BYTES);
            }
            if (in.remaining() < keyLength) {
                throw bad(data.length, "truncated key (" + keyLength + " bytes declared, "
                        + in.remaining() + " present)");
            }
            String key;
            try {
                key = KvKeys.decode(data, in.position(), keyLength);
            } catch (IllegalArgumentException e) {
                throw bad(in.position(), e.getMessage());
            }
            in.position(in.position() + keyLength);
            KvCommand command;
            if (op == OP_PUT) {
                int valueAt = in.position();
                long valueLength = Integer.toUnsignedLong(in.getInt());
                if (valueLength > KvCommand.MAX_VALUE_BYTES) {
                    throw bad(valueAt, "value length " + valueLength + " over the limit of "
                            + KvCommand.MAX_VALUE_BYTES);
                }
                if (in.remaining() < valueLength) {
                    throw bad(data.length, "truncated value (" + valueLength + " bytes declared, "
                            + in.remaining() + " present)");
                }
                byte[] value = Arrays.copyOfRange(data, in.position(), in.position() + (int) valueLength);
                in.position(in.position() + (int) valueLength);
                command = new KvCommand.Put(key, value, cas);
            } else {
                command = new KvCommand.Delete(key, cas);
            }
            if (in.hasRemaining()) {
                throw bad(in.position(), in.remaining() + " trailing bytes");
            }
            return command;
        } catch (BufferUnderflowException e) {
            throw bad(data.length, "truncated (" + data.length + " bytes)");
        }
    }

    private static IllegalArgumentException bad(int offset, String problem) {
        return new IllegalArgumentException("bad KV command at byte offset " + offset + ": " + problem);
    }
}
