package dev.skiff.kv;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary form of a {@link CoordinationCommand}: the data of a Raft {@code COMMAND} entry,
 * told apart from a {@link KvCommandCodec} command by its first byte ({@link #FORMAT}, which
 * {@link KvCommandCodec} never writes).
 *
 * <p>Format (big-endian):
 * <pre>
 *   u8 format = 20
 *   u8 op      1 = txn, 2 = session create, 3 = session destroy
 *   txn:     u64 leaderMillis, then three lists (compare, success, failure), each
 *            u16 count, then per op: u8 verb, str key, bytes value, u64 flags, u64 index, str session
 *   create:  str id, str name, str node, u64 ttlMillis, u64 lockDelayMillis, u8 behavior (0 release,
 *            1 delete), u64 createIndex (0: the entry's own index)
 *   destroy: str id, u64 leaderMillis
 *   str = u16 length + UTF-8; bytes = u32 length + bytes
 * </pre>
 * Nothing may follow. A new field or op means a new format byte. Stateless and thread-safe.
 */
public final class CoordinationCodec {

    /** The first byte of every coordination command. */
    public static final int FORMAT = 20;
    private static final int OP_TXN = 1;
    private static final int OP_SESSION_CREATE = 2;
    private static final int OP_SESSION_DESTROY = 3;

    private CoordinationCodec() {
    }

    /** Whether {@code data} is a coordination command (rather than a {@link KvCommandCodec} one). */
    public static boolean isCoordination(byte[] data) {
        return data.length > 0 && Byte.toUnsignedInt(data[0]) == FORMAT;
    }

    /** Encodes a command. */
    public static byte[] encode(CoordinationCommand command) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        DataOutputStream out = new DataOutputStream(bytes);
        try {
            out.writeByte(FORMAT);
            switch (command) {
                case CoordinationCommand.Txn txn -> {
                    out.writeByte(OP_TXN);
                    out.writeLong(txn.leaderMillis());
                    for (List<TxnOp> ops : List.of(txn.compare(), txn.success(), txn.failure())) {
                        out.writeShort(ops.size());
                        for (TxnOp op : ops) {
                            out.writeByte(op.verb().code);
                            writeString(out, op.key());
                            out.writeInt(op.value().length);
                            out.write(op.value());
                            out.writeLong(op.flags());
                            out.writeLong(op.index());
                            writeString(out, op.session());
                        }
                    }
                }
                case CoordinationCommand.SessionCreate create -> {
                    Session s = create.session();
                    out.writeByte(OP_SESSION_CREATE);
                    writeString(out, s.id());
                    writeString(out, s.name());
                    writeString(out, s.node());
                    out.writeLong(s.ttlMillis());
                    out.writeLong(s.lockDelayMillis());
                    out.writeByte(s.behavior() == Session.Behavior.RELEASE ? 0 : 1);
                    out.writeLong(s.createIndex());
                }
                case CoordinationCommand.SessionDestroy destroy -> {
                    out.writeByte(OP_SESSION_DESTROY);
                    writeString(out, destroy.id());
                    out.writeLong(destroy.leaderMillis());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }

    /**
     * Decodes a command.
     *
     * @throws IllegalArgumentException naming what is wrong and its byte offset
     */
    public static CoordinationCommand decode(byte[] data) {
        ByteBuffer in = ByteBuffer.wrap(data);
        try {
            int format = Byte.toUnsignedInt(in.get());
            if (format != FORMAT) {
                throw bad(0, "not a coordination command (first byte " + format + ")");
            }
            int op = Byte.toUnsignedInt(in.get());
            CoordinationCommand command = switch (op) {
                case OP_TXN -> {
                    long leaderMillis = in.getLong();
                    List<List<TxnOp>> lists = new ArrayList<>(3);
                    for (int l = 0; l < 3; l++) {
                        int count = Short.toUnsignedInt(in.getShort());
                        if (count > CoordinationCommand.MAX_OPS) {
                            throw bad(in.position() - 2, count + " operations, over " + CoordinationCommand.MAX_OPS);
                        }
                        List<TxnOp> ops = new ArrayList<>(count);
                        for (int i = 0; i < count; i++) {
                            int at = in.position();
                            TxnOp.Verb verb = TxnOp.Verb.ofCode(Byte.toUnsignedInt(in.get()));
                            String key = readString(in);
                            int length = in.getInt();
                            if (length < 0 || length > in.remaining()) {
                                throw bad(in.position() - 4, "value length " + Integer.toUnsignedString(length)
                                        + " with " + in.remaining() + " bytes left");
                            }
                            byte[] value = new byte[length];
                            in.get(value);
                            try {
                                ops.add(new TxnOp(verb, key, value, in.getLong(), in.getLong(), readString(in)));
                            } catch (IllegalArgumentException e) {
                                throw bad(at, e.getMessage());
                            }
                        }
                        lists.add(ops);
                    }
                    yield new CoordinationCommand.Txn(lists.get(0), lists.get(1), lists.get(2), leaderMillis);
                }
                case OP_SESSION_CREATE -> {
                    String id = readString(in);
                    String name = readString(in);
                    String node = readString(in);
                    long ttl = in.getLong();
                    long lockDelay = in.getLong();
                    int behavior = Byte.toUnsignedInt(in.get());
                    if (behavior > 1) {
                        throw bad(in.position() - 1, "unknown session behavior " + behavior);
                    }
                    yield new CoordinationCommand.SessionCreate(new Session(id, name, node, ttl, lockDelay,
                            behavior == 0 ? Session.Behavior.RELEASE : Session.Behavior.DELETE, in.getLong()));
                }
                case OP_SESSION_DESTROY -> new CoordinationCommand.SessionDestroy(readString(in), in.getLong());
                default -> throw bad(1, "unknown coordination op " + op);
            };
            if (in.hasRemaining()) {
                throw bad(in.position(), in.remaining() + " trailing bytes");
            }
            return command;
        } catch (BufferUnderflowException e) {
            throw bad(data.length, "truncated (" + data.length + " bytes)");
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeShort(b.length);
        out.write(b);
    }

    private static String readString(ByteBuffer in) {
        int length = Short.toUnsignedInt(in.getShort());
        if (length > in.remaining()) {
            throw new BufferUnderflowException();
        }
        String s = new String(data(in, length), StandardCharsets.UTF_8);
        return s;
    }

    private static byte[] data(ByteBuffer in, int length) {
        byte[] b = new byte[length];
        in.get(b);
        return b;
    }

    private static IllegalArgumentException bad(int offset, String problem) {
        return new IllegalArgumentException("bad coordination command at byte offset " + offset + ": " + problem);
    }
}
