package dev.skiff.transport;

import dev.skiff.raft.Configuration;
import dev.skiff.raft.ConfigurationCodec;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.message.AppendEntries;
import dev.skiff.raft.message.AppendEntriesResponse;
import dev.skiff.raft.message.ForwardedProposals;
import dev.skiff.raft.message.ForwardedProposalsResponse;
import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.InstallSnapshotResponse;
import dev.skiff.raft.message.RaftMessage;
import dev.skiff.raft.message.ReadIndexRequest;
import dev.skiff.raft.message.ReadIndexResponse;
import dev.skiff.raft.message.RequestVote;
import dev.skiff.raft.message.RequestVoteResponse;
import dev.skiff.raft.message.TimeoutNow;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The binary wire form of every {@link RaftMessage}, version {@value #VERSION}.
 *
 * <p>Format (big-endian; {@code str} is {@code u16 length + UTF-8 bytes}):
 * <pre>
 * message    = u8 version, u8 kind, i64 term, str from, str fromAddress, str to, body
 * kind 1  AppendEntries           i64 prevLogIndex, i64 prevLogTerm, i64 leaderCommit,
 *                                 i64 readSeq, i32 entryCount, entry × entryCount
 *         entry                   i64 index, i64 term, u8 typeCode ({@link LogType#code()}),
 *                                 i32 length, length bytes
 * kind 2  AppendEntriesResponse   u8 success, i64 lastLogIndex, i64 conflictIndex,
 *                                 i64 conflictTerm, i64 readSeq, str incarnation
 * kind 3  RequestVote             i64 lastLogIndex, i64 lastLogTerm,
 *                                 u8 flags (bit 0 preVote, bit 1 leadershipTransfer)
 * kind 4  RequestVoteResponse     u8 flags (bit 0 granted, bit 1 preVote), str incarnation
 * kind 5  InstallSnapshot         str id, i64 index, i64 term, i64 configurationIndex,
 *                                 i64 size, str checksum, i32 length, length bytes of
 *                                 {@link ConfigurationCodec} (the snapshot's data is not here),
 *                                 u8 flags (bit 0 inSharedStore: no data follows)
 * kind 6  InstallSnapshotResponse u8 success, i64 lastLogIndex, str incarnation
 * kind 7  TimeoutNow              (no body)
 * kind 8  ForwardedProposals      i64 epoch, i64 batchId, u8 resent, i32 count,
 *                                 (i32 length, length bytes) × count
 * kind 9  ForwardedProposalsResponse i64 epoch, i64 batchId, i64 firstIndex, str refusal
 * kind 10 ReadIndexRequest        i64 epoch, i64 requestId, u8 lease, str incarnation
 * kind 11 ReadIndexResponse       i64 epoch, i64 requestId, i64 index
 * </pre>
 * A message fills its buffer exactly: trailing bytes are an error. Kinds and entry type codes
 * are stable; a change of layout takes a new version byte, which a node of another version
 * refuses with a message naming both. Version 2 added the responses' incarnation; version 3 the
 * read-index request's; version 4 the epoch of read-index requests and of the answers to
 * forwarded work.
 *
 * <p><b>Allocation.</b> {@link #encode(RaftMessage)} sizes the output exactly first and writes
 * once, without intermediate buffers. {@link #decode} reads straight from the given array:
 * the only copies are one {@code byte[]} per entry payload (which the {@link LogEntry} then
 * owns), the strings, and the small configuration of a snapshot.
 *
 * <p><b>Hostile input.</b> Every length and count is checked against the bytes actually left
 * before anything is allocated, so garbage cannot make the decoder allocate more than about
 * the input's own size; any defect raises {@link MalformedMessageException} naming the field
 * and offset. Stateless and thread-safe.
 */
public final class MessageCodec {

    /** The wire version this codec writes and the only one it reads. */
    public static final int VERSION = 4;

    /**
     * Versions up to this one are taken for another release's (a version is bumped by one per
     * layout change); a first byte beyond it is garbage, not a peer to warn an operator about.
     */
    private static final int MAX_RELEASE_VERSION = 15;

    private static final int KIND_APPEND_ENTRIES = 1;
    private static final int KIND_APPEND_ENTRIES_RESPONSE = 2;
    private static final int KIND_REQUEST_VOTE = 3;
    private static final int KIND_REQUEST_VOTE_RESPONSE = 4;
    private static final int KIND_INSTALL_SNAPSHOT = 5;
    private static final int KIND_INSTALL_SNAPSHOT_RESPONSE = 6;
    private static final int KIND_TIMEOUT_NOW = 7;
    private static final int KIND_FORWARDED_PROPOSALS = 8;
    private static final int KIND_FORWARDED_PROPOSALS_RESPONSE = 9;
    private static final int KIND_READ_INDEX_REQUEST = 10;
    private static final int KIND_READ_INDEX_RESPONSE = 11;

    /** Fixed part of an encoded entry: index, term, type code and payload length. */
    private static final int ENTRY_HEADER_BYTES = 8 + 8 + 1 + 4;
    private static final int MAX_STRING_BYTES = 0xFFFF;

    private MessageCodec() {
    }

    /**
     * Encodes a message into a new array of exactly {@link #encodedSize} bytes.
     *
     * @throws IllegalArgumentException if a string field is longer than 65535 bytes of UTF-8
     */
    public static byte[] encode(RaftMessage message) {
        byte[] out = new byte[encodedSize(message)];
        encode(message, ByteBuffer.wrap(out));
        return out;
    }

    /**
     * Writes a message at {@code out}'s position, advancing it by {@link #encodedSize} bytes.
     *
     * @throws java.nio.BufferOverflowException if {@code out} has less room than that
     */
    public static void encode(RaftMessage message, ByteBuffer out) {
        out.put((byte) VERSION);
        out.put((byte) kind(message));
        out.putLong(message.term());
        putString(out, message.from());
        putString(out, message.fromAddress());
        putString(out, message.to());
        switch (message) {
            case AppendEntries m -> {
                out.putLong(m.prevLogIndex());
                out.putLong(m.prevLogTerm());
                out.putLong(m.leaderCommit());
                out.putLong(m.readSeq());
                out.putInt(m.entries().size());
                for (LogEntry e : m.entries()) {
                    out.putLong(e.index());
                    out.putLong(e.term());
                    out.put((byte) e.type().code());
                    out.putInt(e.data().length);
                    out.put(e.data());
                }
            }
            case AppendEntriesResponse m -> {
                out.put(bool(m.success()));
                out.putLong(m.lastLogIndex());
                out.putLong(m.conflictIndex());
                out.putLong(m.conflictTerm());
                out.putLong(m.readSeq());
                putString(out, m.incarnation());
            }
            case RequestVote m -> {
                out.putLong(m.lastLogIndex());
                out.putLong(m.lastLogTerm());
                out.put((byte) ((m.preVote() ? 1 : 0) | (m.leadershipTransfer() ? 2 : 0)));
            }
            case RequestVoteResponse m -> {
                out.put((byte) ((m.granted() ? 1 : 0) | (m.preVote() ? 2 : 0)));
                putString(out, m.incarnation());
            }
            case InstallSnapshot m -> {
                SnapshotMeta meta = m.meta();
                putString(out, meta.id());
                out.putLong(meta.index());
                out.putLong(meta.term());
                out.putLong(meta.configurationIndex());
                out.putLong(meta.size());
                putString(out, meta.checksum());
                byte[] configuration = ConfigurationCodec.encode(meta.configuration());
                out.putInt(configuration.length);
                out.put(configuration);
                out.put(bool(m.inSharedStore()));
            }
            case InstallSnapshotResponse m -> {
                out.put(bool(m.success()));
                out.putLong(m.lastLogIndex());
                putString(out, m.incarnation());
            }
            case TimeoutNow m -> {
                // The common header is the whole message.
            }
            case ForwardedProposals m -> {
                out.putLong(m.epoch());
                out.putLong(m.batchId());
                out.put(bool(m.resent()));
                out.putInt(m.commands().size());
                for (byte[] command : m.commands()) {
                    out.putInt(command.length);
                    out.put(command);
                }
            }
            case ForwardedProposalsResponse m -> {
                out.putLong(m.epoch());
                out.putLong(m.batchId());
                out.putLong(m.firstIndex());
                putString(out, m.refusal());
            }
            case ReadIndexRequest m -> {
                out.putLong(m.epoch());
                out.putLong(m.requestId());
                out.put(bool(m.lease()));
                putString(out, m.incarnation());
            }
            case ReadIndexResponse m -> {
                out.putLong(m.epoch());
                out.putLong(m.requestId());
                out.putLong(m.index());
            }
        }
    }

    /** The exact number of bytes {@link #encode} writes for {@code message}. */
    public static int encodedSize(RaftMessage message) {
        long size = 2 + 8 + stringSize(message.from()) + stringSize(message.fromAddress())
                + stringSize(message.to());
        size += switch (message) {
            case AppendEntries m -> {
                long entries = 8 * 4 + 4;
                for (LogEntry e : m.entries()) {
                    entries += ENTRY_HEADER_BYTES + e.data().length;
                }
                yield entries;
            }
            case AppendEntriesResponse m -> 1 + 8 * 4 + stringSize(m.incarnation());
            case RequestVote m -> 8 * 2 + 1;
            case RequestVoteResponse m -> 1 + stringSize(m.incarnation());
            // InstallSnapshot is rare and its configuration small: encoding it twice is simpler
            // than a second sizing routine that must agree with ConfigurationCodec.
            case InstallSnapshot m -> stringSize(m.meta().id()) + 8 * 4 + stringSize(m.meta().checksum())
                    + 4 + ConfigurationCodec.encode(m.meta().configuration()).length + 1;
            case InstallSnapshotResponse m -> 1 + 8 + stringSize(m.incarnation());
            case TimeoutNow m -> 0;
            case ForwardedProposals m -> {
                long n = 8 + 8 + 1 + 4;
                for (byte[] command : m.commands()) {
                    n += 4 + command.length;
                }
                yield n;
            }
            case ForwardedProposalsResponse m -> 8 * 3 + stringSize(m.refusal());
            case ReadIndexRequest m -> 8 * 2 + 1 + stringSize(m.incarnation());
            case ReadIndexResponse m -> 8 * 3;
        };
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("raft message too large to encode: " + size + " bytes");
        }
        return (int) size;
    }

    /**
     * Encodes several messages into one array: {@code i32 count}, then per message
     * {@code i32 length} and its bytes.
     */
    public static byte[] encodeBatch(java.util.List<RaftMessage> messages) {
        return encodeBatch(messages, 0, 0);
    }

    /**
     * Encodes a batch as {@link #encodeBatch(java.util.List)} does, into an array with {@code
     * headroom} bytes free before it and {@code tailroom} after: a caller that frames the batch
     * writes its header and trailer there instead of copying the batch into a second array.
     */
    public static byte[] encodeBatch(java.util.List<RaftMessage> messages, int headroom, int tailroom) {
        long total = 4;
        int[] sizes = new int[messages.size()];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = encodedSize(messages.get(i));
            total += 4L + sizes[i];
        }
        if (total > Integer.MAX_VALUE - 8 - headroom - tailroom) {
            throw new IllegalArgumentException("raft message batch too large to encode: " + total + " bytes");
        }
        ByteBuffer out = ByteBuffer.allocate(headroom + (int) total + tailroom);
        out.position(headroom);
        out.putInt(messages.size());
        for (int i = 0; i < sizes.length; i++) {
            out.putInt(sizes[i]);
            encode(messages.get(i), out);
        }
        return out.array();
    }

    /**
     * Decodes a batch written by {@link #encodeBatch}; all or nothing.
     *
     * @throws MalformedMessageException naming the message and offset that is not well formed
     */
    public static java.util.List<RaftMessage> decodeBatch(byte[] bytes) {
        return decodeBatch(bytes, 0, bytes.length);
    }

    /**
     * Decodes the batch held in {@code bytes[offset, offset + size)}, which it must fill
     * exactly; offsets in errors count from {@code offset}. Entry payloads are copied out, so
     * the caller may reuse {@code bytes} afterwards.
     *
     * @throws MalformedMessageException naming the message and offset that is not well formed
     */
    public static java.util.List<RaftMessage> decodeBatch(byte[] bytes, int offset, int size) {
        if (size < 4) {
            throw new MalformedMessageException("raft message batch shorter than its 4-byte count");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes, offset, size).slice();
        int count = in.getInt();
        // Each message takes at least a length and a few header bytes: bounds the list size.
        if (count < 1 || count > size / 8) {
            throw new MalformedMessageException("raft message batch count " + count + " is impossible for "
                    + size + " bytes");
        }
        java.util.List<RaftMessage> messages = new java.util.ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            if (in.remaining() < 4) {
                throw new MalformedMessageException("raft message batch ends before message " + i + " at offset " + in.position());
            }
            int length = in.getInt();
            if (length < 1 || length > in.remaining()) {
                throw new MalformedMessageException("raft message " + i + " of the batch has length " + length
                        + " at offset " + (in.position() - 4) + " but " + in.remaining() + " bytes remain");
            }
            messages.add(decode(bytes, offset + in.position(), length));
            in.position(in.position() + length);
        }
        if (in.remaining() != 0) {
            throw new MalformedMessageException(in.remaining() + " trailing bytes after the message batch");
        }
        return messages;
    }

    /** Decodes a whole array; see {@link #decode(byte[], int, int)}. */
    public static RaftMessage decode(byte[] bytes) {
        return decode(bytes, 0, bytes.length);
    }

    /**
     * Decodes the message held in {@code bytes[offset, offset + length)}, which it must fill
     * exactly. Entry payloads are copied out, so the caller may reuse {@code bytes} afterwards.
     *
     * @throws MalformedMessageException if the bytes are not one well-formed message of
     *                                   version {@value #VERSION}
     */
    public static RaftMessage decode(byte[] bytes, int offset, int length) {
        Reader in = new Reader(bytes, offset, length);
        try {
            RaftMessage message = readMessage(in);
            if (in.remaining() != 0) {
                throw in.malformed(in.remaining() + " trailing bytes after the message");
            }
            return message;
        } catch (MalformedMessageException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            // A field decoded but broke a record's invariant (for example log index 0).
            throw in.malformed("invalid field value: " + e.getMessage(), e);
        }
    }

    private static RaftMessage readMessage(Reader in) {
        int version = in.u8("version");
        if (version != VERSION) {
            String problem = "unsupported wire version " + version + " (this node speaks " + VERSION + ")";
            if (version < 1 || version > MAX_RELEASE_VERSION) {
                throw in.malformedAt(0, problem + "; is it a raft message at all?");
            }
            throw new UnsupportedWireVersionException(in.describeAt(0, problem + ": the sender runs another release"));
        }
        int kind = in.u8("kind");
        long term = in.i64();
        String from = in.string("from");
        String fromAddress = in.string("fromAddress");
        String to = in.string("to");
        return switch (kind) {
            case KIND_APPEND_ENTRIES -> {
                long prevLogIndex = in.i64();
                long prevLogTerm = in.i64();
                long leaderCommit = in.i64();
                long readSeq = in.i64();
                List<LogEntry> entries = readEntries(in);
                yield new AppendEntries(term, from, fromAddress, to, prevLogIndex, prevLogTerm, entries,
                        leaderCommit, readSeq);
            }
            case KIND_APPEND_ENTRIES_RESPONSE -> new AppendEntriesResponse(term, from, fromAddress, to,
                    in.bool("success"), in.i64(), in.i64(), in.i64(), in.i64(), in.string("incarnation"));
            case KIND_REQUEST_VOTE -> {
                long lastLogIndex = in.i64();
                long lastLogTerm = in.i64();
                int flags = in.flags("RequestVote flags");
                yield new RequestVote(term, from, fromAddress, to, lastLogIndex, lastLogTerm,
                        (flags & 1) != 0, (flags & 2) != 0);
            }
            case KIND_REQUEST_VOTE_RESPONSE -> {
                int flags = in.flags("RequestVoteResponse flags");
                yield new RequestVoteResponse(term, from, fromAddress, to, (flags & 1) != 0, (flags & 2) != 0,
                        in.string("incarnation"));
            }
            case KIND_INSTALL_SNAPSHOT -> new InstallSnapshot(term, from, fromAddress, to, readMeta(in),
                    in.bool("inSharedStore"));
            case KIND_INSTALL_SNAPSHOT_RESPONSE -> new InstallSnapshotResponse(term, from, fromAddress, to,
                    in.bool("success"), in.i64(), in.string("incarnation"));
            case KIND_TIMEOUT_NOW -> new TimeoutNow(term, from, fromAddress, to);
            case KIND_FORWARDED_PROPOSALS -> {
                long epoch = in.i64();
                long batchId = in.i64();
                boolean resent = in.bool("resent");
                yield new ForwardedProposals(term, from, fromAddress, to, epoch, batchId, resent, readCommands(in));
            }
            case KIND_FORWARDED_PROPOSALS_RESPONSE -> new ForwardedProposalsResponse(term, from, fromAddress, to,
                    in.i64(), in.i64(), in.i64(), in.string("refusal"));
            case KIND_READ_INDEX_REQUEST -> new ReadIndexRequest(term, from, fromAddress, to, in.i64(), in.i64(),
                    in.bool("lease"), in.string("incarnation"));
            case KIND_READ_INDEX_RESPONSE -> new ReadIndexResponse(term, from, fromAddress, to, in.i64(), in.i64(), in.i64());
            default -> throw in.malformed("unknown message kind " + kind);
        };
    }

    private static List<LogEntry> readEntries(Reader in) {
        int countOffset = in.position();
        int count = in.i32();
        // Bound the list before allocating it: every entry takes at least its fixed header.
        if (count < 0 || count > in.remaining() / ENTRY_HEADER_BYTES) {
            throw in.malformedAt(countOffset, "entry count " + count + " is impossible with "
                    + in.remaining() + " bytes left");
        }
        LogEntry[] entries = new LogEntry[count];
        for (int i = 0; i < count; i++) {
            long index = in.i64();
            long term = in.i64();
            int typeOffset = in.position();
            int typeCode = in.u8("entry type");
            LogType type;
            try {
                type = LogType.ofCode(typeCode);
            } catch (IllegalArgumentException e) {
                throw in.malformedAt(typeOffset, "entry " + i + ": unknown log entry type code " + typeCode);
            }
            byte[] data = in.bytes("entry " + i + " payload");
            entries[i] = new LogEntry(index, term, type, data);
        }
        return List.of(entries);
    }

    private static List<byte[]> readCommands(Reader in) {
        int countOffset = in.position();
        int count = in.i32();
        // Every command takes at least its length field.
        if (count < 0 || count > in.remaining() / 4) {
            throw in.malformedAt(countOffset, "command count " + count + " is impossible with "
                    + in.remaining() + " bytes left");
        }
        byte[][] commands = new byte[count][];
        for (int i = 0; i < count; i++) {
            commands[i] = in.bytes("command " + i);
        }
        return List.of(commands);
    }

    private static SnapshotMeta readMeta(Reader in) {
        String id = in.string("snapshot id");
        long index = in.i64();
        long term = in.i64();
        long configurationIndex = in.i64();
        long size = in.i64();
        String checksum = in.string("snapshot checksum");
        int configurationOffset = in.position();
        byte[] encoded = in.bytes("snapshot configuration");
        Configuration configuration;
        try {
            configuration = ConfigurationCodec.decode(encoded);
        } catch (IllegalArgumentException e) {
            throw in.malformedAt(configurationOffset, "bad snapshot configuration: " + e.getMessage(), e);
        }
        return new SnapshotMeta(id, index, term, configuration, configurationIndex, size, checksum);
    }

    private static int kind(RaftMessage message) {
        return switch (message) {
            case AppendEntries m -> KIND_APPEND_ENTRIES;
            case AppendEntriesResponse m -> KIND_APPEND_ENTRIES_RESPONSE;
            case RequestVote m -> KIND_REQUEST_VOTE;
            case RequestVoteResponse m -> KIND_REQUEST_VOTE_RESPONSE;
            case InstallSnapshot m -> KIND_INSTALL_SNAPSHOT;
            case InstallSnapshotResponse m -> KIND_INSTALL_SNAPSHOT_RESPONSE;
            case TimeoutNow m -> KIND_TIMEOUT_NOW;
            case ForwardedProposals m -> KIND_FORWARDED_PROPOSALS;
            case ForwardedProposalsResponse m -> KIND_FORWARDED_PROPOSALS_RESPONSE;
            case ReadIndexRequest m -> KIND_READ_INDEX_REQUEST;
            case ReadIndexResponse m -> KIND_READ_INDEX_RESPONSE;
        };
    }

    private static byte bool(boolean value) {
        return (byte) (value ? 1 : 0);
    }

    private static int stringSize(String s) {
        return 2 + utf8Length(s);
    }

    /** UTF-8 length; ids, addresses and checksums are ASCII, which is counted without encoding. */
    private static int utf8Length(String s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            if (s.charAt(i) >= 0x80) {
                return s.getBytes(StandardCharsets.UTF_8).length;
            }
        }
        return n;
    }

    private static void putString(ByteBuffer out, String s) {
        int n = s.length();
        int length = utf8Length(s);
        if (length > MAX_STRING_BYTES) {
            throw new IllegalArgumentException("string field longer than " + MAX_STRING_BYTES + " bytes: "
                    + s.substring(0, 40) + "...");
        }
        out.putShort((short) length);
        if (length == n) {
            // ASCII, the common case (ids, addresses, checksums): no intermediate array.
            for (int i = 0; i < n; i++) {
                out.put((byte) s.charAt(i));
            }
        } else {
            out.put(s.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** A bounds-checked cursor over the input that reports offsets relative to its start. */
    private static final class Reader {
        private final byte[] buf;
        private final ByteBuffer view;
        private final int start;
        private final int end;
        private int pos;

        Reader(byte[] buf, int offset, int length) {
            if (offset < 0 || length < 0 || offset > buf.length - length) {
                throw new IndexOutOfBoundsException("range [" + offset + ", " + offset + "+" + length
                        + ") outside an array of " + buf.length);
            }
            this.buf = buf;
            this.view = ByteBuffer.wrap(buf);
            this.start = offset;
            this.end = offset + length;
            this.pos = offset;
        }

        int position() {
            return pos - start;
        }

        int remaining() {
            return end - pos;
        }

        private void need(int n, String what) {
            if (n > end - pos) {
                throw malformed("truncated: " + what + " needs " + n + " bytes, " + (end - pos) + " left");
            }
        }

        int u8(String what) {
            need(1, what);
            return buf[pos++] & 0xFF;
        }

        boolean bool(String what) {
            int offset = position();
            int b = u8(what);
            if (b > 1) {
                throw malformedAt(offset, what + " must be 0 or 1, got " + b);
            }
            return b == 1;
        }

        int flags(String what) {
            int offset = position();
            int b = u8(what);
            if ((b & ~3) != 0) {
                throw malformedAt(offset, what + " has unknown bits: 0x" + Integer.toHexString(b));
            }
            return b;
        }

        int i32() {
            need(4, "an int");
            int v = view.getInt(pos);
            pos += 4;
            return v;
        }

        long i64() {
            need(8, "a long");
            long v = view.getLong(pos);
            pos += 8;
            return v;
        }

        String string(String what) {
            need(2, what + " length");
            int length = view.getShort(pos) & 0xFFFF;
            pos += 2;
            need(length, what);
            String s = new String(buf, pos, length, StandardCharsets.UTF_8);
            pos += length;
            return s;
        }

        byte[] bytes(String what) {
            int offset = position();
            int length = i32();
            if (length < 0 || length > remaining()) {
                throw malformedAt(offset, what + " length " + length + " is impossible with " + remaining()
                        + " bytes left");
            }
            byte[] out = Arrays.copyOfRange(buf, pos, pos + length);
            pos += length;
            return out;
        }

        MalformedMessageException malformed(String problem) {
            return malformedAt(position(), problem);
        }

        MalformedMessageException malformed(String problem, Throwable cause) {
            return malformedAt(position(), problem, cause);
        }

        MalformedMessageException malformedAt(int offset, String problem) {
            return new MalformedMessageException(describeAt(offset, problem));
        }

        String describeAt(int offset, String problem) {
            return "malformed raft message at offset " + offset + " of " + (end - start) + ": " + problem;
        }

        MalformedMessageException malformedAt(int offset, String problem, Throwable cause) {
            return new MalformedMessageException(describeAt(offset, problem), cause);
        }
    }
}
