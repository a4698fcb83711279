package dev.skiff.acl;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The binary form of an {@link AclCommand}: the data of a Raft {@code COMMAND} entry, beside
 * the KV commands in the same log. Big-endian:
 * <pre>
 *   u8  marker = 0xAC    (a KV command starts with its codec version, a small number)
 *   u8  version = 1
 *   u8  op               1 create (a token, {@link AclTokenCodec}), 2 delete (u8 length + accessor id)
 * </pre>
 * Nothing may follow. Stateless and thread-safe.
 */
public final class AclCommandCodec {

    /** The first byte of every ACL command. */
    public static final byte MARKER = (byte) 0xAC;
    static final int VERSION = 1;
    private static final int OP_CREATE = 1;
    private static final int OP_DELETE = 2;

    private AclCommandCodec() {
    }

    /** Whether {@code data} is an ACL command (by its first byte) rather than a KV command. */
    public static boolean isAclCommand(byte[] data) {
        return data.length > 0 && data[0] == MARKER;
    }

    /** Encodes a command. */
    public static byte[] encode(AclCommand command) {
        return AclTokenCodec.encode(out -> {
            out.writeByte(MARKER);
            out.writeByte(VERSION);
            switch (command) {
                case AclCommand.CreateToken c -> {
                    out.writeByte(OP_CREATE);
                    AclTokenCodec.write(c.token(), out);
                }
                case AclCommand.DeleteToken d -> {
                    out.writeByte(OP_DELETE);
                    byte[] id = d.accessorId().getBytes(StandardCharsets.US_ASCII);
                    out.writeByte(id.length);
                    out.write(id);
                }
            }
        });
    }

    /**
     * Decodes a command.
     *
     * @throws IllegalArgumentException naming what is wrong and its byte offset
     */
    public static AclCommand decode(byte[] data) {
        ByteBuffer in = ByteBuffer.wrap(data);
        try {
            if (in.get() != MARKER) {
                throw bad(0, "not an ACL command");
            }
            int version = Byte.toUnsignedInt(in.get());
            if (version != VERSION) {
                throw bad(1, "unknown version " + version + " (this server reads version " + VERSION + ")");
            }
            int op = Byte.toUnsignedInt(in.get());
            AclCommand command = switch (op) {
                case OP_CREATE -> new AclCommand.CreateToken(AclTokenCodec.read(in));
                case OP_DELETE -> {
                    byte[] id = new byte[Byte.toUnsignedInt(in.get())];
                    in.get(id);
                    yield new AclCommand.DeleteToken(new String(id, StandardCharsets.US_ASCII));
                }
                default -> throw bad(2, "unknown op " + op);
            };
            if (in.hasRemaining()) {
                throw bad(in.position(), in.remaining() + " trailing bytes");
            }
            return command;
        } catch (BufferUnderflowException e) {
            throw bad(data.length, "truncated (" + data.length + " bytes)");
        } catch (IllegalArgumentException e) {
            throw e.getMessage() != null && e.getMessage().startsWith("bad ACL command") ? e
                    : bad(in.position(), e.getMessage());
        }
    }

    private static IllegalArgumentException bad(int offset, String problem) {
        return new IllegalArgumentException("bad ACL command at byte offset " + offset + ": " + problem);
    }
}
