package dev.skiff.acl;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The token table as one byte block, for the snapshot's ACL section: {@code u8 version = 1},
 * {@code u32 count}, then {@code count} tokens ({@link AclTokenCodec}) in accessor-id order,
 * nothing after. Stateless and thread-safe.
 */
public final class AclStateCodec {

    static final int VERSION = 1;

    private AclStateCodec() {
    }

    /** Encodes the table. */
    public static byte[] encode(AclState state) {
        return AclTokenCodec.encode(out -> {
            out.writeByte(VERSION);
            out.writeInt(state.size());
            for (AclToken t : state.tokens()) {
                AclTokenCodec.write(t, out);
            }
        });
    }

    /**
     * Decodes a table.
     *
     * @throws IllegalArgumentException naming what is wrong and its offset in {@code data}
     */
    public static AclState decode(byte[] data) {
        ByteBuffer in = ByteBuffer.wrap(data);
        try {
            int version = Byte.toUnsignedInt(in.get());
            if (version != VERSION) {
                throw new IllegalArgumentException("unknown ACL table version " + version + " (this server reads "
                        + VERSION + ")");
            }
            long count = Integer.toUnsignedLong(in.getInt());
            // Each token takes at least 46 bytes: a count beyond what the data can hold is corrupt.
            if (count > in.remaining() / 46) {
                throw new IllegalArgumentException("ACL table claims " + count + " tokens in " + data.length + " bytes");
            }
            List<AclToken> tokens = new ArrayList<>((int) count);
            for (long i = 0; i < count; i++) {
                tokens.add(AclTokenCodec.read(in));
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException("ACL table has " + in.remaining() + " trailing bytes");
            }
            return AclState.of(tokens);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("ACL table is truncated (" + data.length + " bytes)");
        }
    }
}
