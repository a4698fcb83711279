package dev.skiff.kv;

import dev.skiff.acl.AclState;
import dev.skiff.acl.AclStateCodec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The streamed, checksummed form of a {@link KvState}: what {@link KvStateMachine}'s snapshots
 * persist and what {@link KvStateMachine#restore} reads. Both directions stream: memory is one
 * 64 KiB block plus the state itself, never the whole encoded snapshot.
 *
 * <p>Format (big-endian), version 3 (what this code writes; versions 1 and 2 still read, see below):
 * <pre>
 *   header, 30 bytes:
 *     8 bytes  magic "SKIFFKVS"
 *     u16      version = 3
 *     u64      appliedIndex      the state's applied index
 *     u64      entryCount
 *     u32      CRC32C of the 26 bytes above
 *   then entryCount records, in strictly increasing key order ({@link KvKeys#ORDER}), framed
 *   in checksummed blocks by {@link CrcBlockWriter} (a record may span blocks):
 *     u16      keyLength (1..1024), keyLength bytes of UTF-8
 *     u64      createIndex
 *     u64      modifyIndex       1 &lt;= createIndex &lt;= modifyIndex &lt;= appliedIndex
 *     u64      lockIndex         (version 3 only)
 *     u64      flags             (version 3 only)
 *     u16      sessionLength, sessionLength bytes of UTF-8: the lock holder, none if 0 (version 3 only)
 *     u32      valueLength (&lt;= {@link KvCommand#MAX_VALUE_BYTES}), valueLength bytes
 *   version 3 only, in the same blocks: sections, each a u8 tag and its body, ending with tag 0:
 *     1 sessions:    u32 count, per session: str id, str name, str node, u64 ttlMillis,
 *                    u64 lockDelayMillis, u8 behavior (0 release, 1 delete), u64 createIndex
 *     2 lock delays: u32 count, per key: str key, u64 until (leader epoch millis)
 *     3 kv index:    u64 the index of the last change to any key
 *     4 ACL tokens:  u32 length (&lt;= 64 MiB), that many bytes of {@link AclStateCodec}'s form
 *     (str = u16 length + UTF-8.) A reader refuses a tag it does not know; a new kind of state
 *     is a new tag.
 *   then the end block, and nothing after it.
 * </pre>
 * Older versions, both read:
 * <ul>
 *   <li>Version 1 (before ACLs and coordination) has records without the version-3 fields and
 *       nothing after them: its keys load unlocked with flags 0, with no sessions or tokens, and
 *       a kv index equal to the applied index.</li>
 *   <li>Version 2 (ACL tokens, written by Skiff with ACLs before coordination, only when tokens
 *       existed) is version 1 followed by the ACL section's body without its tag: u32 length and
 *       {@link AclStateCodec}'s bytes. It loads as version 1 plus those tokens.</li>
 * </ul>
 * The version is checked before the header checksum, since a later version may lay out the rest
 * of the header differently. Stateless and thread-safe.
 */
final class KvSnapshotCodec {

    static final int VERSION = 3;
    /** Keys only: what Skiff wrote before ACLs, and with ACLs when no token existed. */
    static final int VERSION_1 = 1;
    /** Version 1 plus an untagged ACL section: what Skiff with ACLs wrote when tokens existed. */
    static final int VERSION_2_ACL = 2;
    private static final int SECTION_END = 0;
    private static final int SECTION_SESSIONS = 1;
    private static final int SECTION_LOCK_DELAYS = 2;
    private static final int SECTION_KV_INDEX = 3;
    private static final int SECTION_ACL = 4;
    private static final int MAX_ACL_SECTION_BYTES = 64 << 20;
    private static final byte[] MAGIC = "SKIFFKVS".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER_BYTES = 30;

    private KvSnapshotCodec() {
    }

    /** Writes {@code state}, with no tokens, to {@code out}, which is neither flushed nor closed. */
    static void write(KvState state, OutputStream out) throws IOException {
        write(state, AclState.empty(), out);
    }

    /** Writes {@code state} and the token table {@code acl} to {@code out}, which is neither flushed nor closed. */
    static void write(KvState state, AclState acl, OutputStream out) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        header.put(MAGIC).putShort((short) VERSION).putLong(state.appliedIndex()).putLong(state.size());
        header.putInt(crc32c(header.array(), HEADER_BYTES - 4));
        out.write(header.array());

        CrcBlockWriter blocks = new CrcBlockWriter(out);
        for (Iterator<KvEntry> it = state.iterator(); it.hasNext(); ) {
            KvEntry entry = it.next();
            byte[] key = KvKeys.encode(entry.key());
            blocks.writeShort(key.length);
            blocks.write(key, 0, key.length);
            blocks.writeLong(entry.createIndex());
            blocks.writeLong(entry.modifyIndex());
            blocks.writeLong(entry.lockIndex());
            blocks.writeLong(entry.flags());
            writeString(blocks, entry.session() == null ? "" : entry.session());
            blocks.writeInt(entry.value().length);
            blocks.write(entry.value(), 0, entry.value().length);
        }
        writeSections(state.coordination(), acl, blocks);
        blocks.finish();
    }

    private static void writeSections(KvState.Coordination coordination, AclState acl, CrcBlockWriter blocks)
            throws IOException {
        List<Session> sessions = new ArrayList<>();
        coordination.sessions().iterator().forEachRemaining(n -> sessions.add(n.value()));
        writeTag(blocks, SECTION_SESSIONS);
        blocks.writeInt(sessions.size());
        for (Session s : sessions) {
            writeString(blocks, s.id());
            writeString(blocks, s.name());
            writeString(blocks, s.node());
            blocks.writeLong(s.ttlMillis());
            blocks.writeLong(s.lockDelayMillis());
            writeTag(blocks, s.behavior() == Session.Behavior.RELEASE ? 0 : 1);
            blocks.writeLong(s.createIndex());
        }
        writeTag(blocks, SECTION_LOCK_DELAYS);
        blocks.writeInt(coordination.lockDelays().size());
        for (var it = coordination.lockDelays().iterator(); it.hasNext(); ) {
            var n = it.next();
            writeString(blocks, n.key());
            blocks.writeLong(n.value());
        }
        writeTag(blocks, SECTION_KV_INDEX);
        blocks.writeLong(coordination.kvIndex());
        if (acl.size() > 0) {
            writeTag(blocks, SECTION_ACL);
            byte[] section = AclStateCodec.encode(acl);
            blocks.writeInt(section.length);
            blocks.write(section, 0, section.length);
        }
        writeTag(blocks, SECTION_END);
    }

    private static void writeTag(CrcBlockWriter blocks, int tag) throws IOException {
        blocks.write(new byte[] {(byte) tag}, 0, 1);
    }

    private static void writeString(CrcBlockWriter blocks, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        blocks.writeShort(b.length);
        blocks.write(b, 0, b.length);
    }

    private static int readTag(CrcBlockReader reader) throws IOException {
        byte[] tag = new byte[1];
        reader.readFully(tag, 0, 1);
        return Byte.toUnsignedInt(tag[0]);
    }

    private static String readString(CrcBlockReader reader) throws IOException {
        byte[] b = new byte[reader.readUnsignedShort()];
        reader.readFully(b, 0, b.length);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** What follows the records in a version-3 snapshot. */
    private record Sections(KvState.Coordination coordination, AclState acl) {
    }

    private static Sections readSections(CrcBlockReader reader, long appliedIndex) throws IOException {
        KvState.Coordination coordination = KvState.Coordination.empty(appliedIndex);
        var sessions = coordination.sessions();
        var lockDelays = coordination.lockDelays();
        long kvIndex = appliedIndex;
        AclState acl = AclState.empty();
        while (true) {
            long at = reader.position();
            int tag = readTag(reader);
            switch (tag) {
                case SECTION_END -> {
                    return new Sections(new KvState.Coordination(sessions, lockDelays, kvIndex), acl);
                }
                case SECTION_ACL -> acl = readAclSection(reader);
                case SECTION_SESSIONS -> {
                    long count = Integer.toUnsignedLong(reader.readInt());
                    for (long i = 0; i < count; i++) {
                        long sessionAt = reader.position();
                        try {
                            String id = readString(reader);
                            Session s = new Session(id, readString(reader), readString(reader), reader.readLong(),
                                    reader.readLong(), readTag(reader) == 0 ? Session.Behavior.RELEASE
                                    : Session.Behavior.DELETE, reader.readLong());
                            sessions = sessions.put(s.id(), s);
                        } catch (IllegalArgumentException e) {
                            throw new CorruptSnapshotException(sessionAt, "session " + i + ": " + e.getMessage());
                        }
                    }
                }
                case SECTION_LOCK_DELAYS -> {
                    long count = Integer.toUnsignedLong(reader.readInt());
                    for (long i = 0; i < count; i++) {
                        lockDelays = lockDelays.put(readString(reader), reader.readLong());
                    }
                }
                case SECTION_KV_INDEX -> {
                    kvIndex = reader.readLong();
                    if (kvIndex < 0 || kvIndex > appliedIndex) {
                        throw new CorruptSnapshotException(at, "kv index " + kvIndex + " with applied index " + appliedIndex);
                    }
                }
                default -> throw new CorruptSnapshotException(at, "unknown section " + tag
                        + " (corrupt, or written by a newer Skiff)");
            }
        }
    }

    /** The body of an ACL section: u32 length, then {@link AclStateCodec}'s bytes. */
    private static AclState readAclSection(CrcBlockReader reader) throws IOException {
        long at = reader.position();
        long length = Integer.toUnsignedLong(reader.readInt());
        if (length > MAX_ACL_SECTION_BYTES) {
            throw new CorruptSnapshotException(at, "the ACL section claims " + length + " bytes, over the limit of "
                    + MAX_ACL_SECTION_BYTES);
        }
        byte[] section = new byte[(int) length];
        reader.readFully(section, 0, section.length);
        try {
            return AclStateCodec.decode(section);
        } catch (IllegalArgumentException e) {
            throw new CorruptSnapshotException(at, "the ACL section is bad: " + e.getMessage());
        }
    }

    /**
     * Reads a whole snapshot stream, to its end.
     *
     * @throws CorruptSnapshotException naming the problem and its byte offset
     * @throws IOException              if reading {@code in} fails
     */
    static KvState read(InputStream in) throws IOException {
        return readWithAcl(in).kv();
    }

    /**
     * What a snapshot holds.
     *
     * @param kv  the key-value state
     * @param acl the token table (empty from a snapshot written without tokens)
     */
    record Restored(KvState kv, AclState acl) {
    }

    /**
     * Reads a whole snapshot stream, to its end, with its token table.
     *
     * @throws CorruptSnapshotException naming the problem and its byte offset
     * @throws IOException              if reading {@code in} fails
     */
    static Restored readWithAcl(InputStream in) throws IOException {
        CrcBlockReader reader = new CrcBlockReader(in);
        byte[] magic = reader.readRaw(MAGIC.length, "the header");
        if (!Arrays.equals(magic, MAGIC)) {
            throw new CorruptSnapshotException(0, "not a Skiff KV snapshot (bad magic: a snapshot starts with \"SKIFFKVS\")");
        }
        byte[] version = reader.readRaw(2, "the header");
        int v = ByteBuffer.wrap(version).getShort() & 0xFFFF;
        if (v != VERSION && v != VERSION_1 && v != VERSION_2_ACL) {
            throw new CorruptSnapshotException(MAGIC.length, "unsupported snapshot version " + v
                    + "; this server reads versions 1 to " + VERSION + " (corrupt, or written by a newer Skiff)");
        }
        byte[] rest = reader.readRaw(HEADER_BYTES - MAGIC.length - 2, "the header");
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).put(magic).put(version).put(rest);
        int stored = header.getInt(HEADER_BYTES - 4);
        int computed = crc32c(header.array(), HEADER_BYTES - 4);
        if (stored != computed) {
            throw new CorruptSnapshotException(0, "checksum mismatch in the header: stored CRC32C 0x"
                    + Integer.toHexString(stored) + ", computed 0x" + Integer.toHexString(computed));
        }
        long appliedIndex = header.getLong(10);
        long entryCount = header.getLong(18);
        if (appliedIndex < 0 || entryCount < 0 || entryCount > Integer.MAX_VALUE) {
            throw new CorruptSnapshotException(10, "impossible header: applied index " + appliedIndex
                    + ", " + entryCount + " entries");
        }

        // Sized for the common case, not trusted blindly: the count is only as good as the writer.
        List<KvEntry> entries = new ArrayList<>((int) Math.min(entryCount, 1 << 20));
        byte[] keyBytes = new byte[KvKeys.MAX_KEY_BYTES];
        String previousKey = null;
        for (long i = 0; i < entryCount; i++) {
            long at = reader.position();
            KvEntry entry = readEntry(reader, keyBytes, appliedIndex, i, v);
            if (previousKey != null && KvKeys.ORDER.compare(previousKey, entry.key()) >= 0) {
                throw new CorruptSnapshotException(at, "entry " + i + " ("
                        + entry.key() + ") is not after the previous key (" + previousKey + ")");
            }
            previousKey = entry.key();
            entries.add(entry);
        }
        Sections sections = switch (v) {
            case VERSION -> readSections(reader, appliedIndex);
            case VERSION_2_ACL -> new Sections(KvState.Coordination.empty(appliedIndex), readAclSection(reader));
            default -> new Sections(KvState.Coordination.empty(appliedIndex), AclState.empty());
        };
        reader.expectEnd();
        return new Restored(new KvState(PersistentTreeMap.ofSorted(KvKeys.ORDER, entries, KvEntry::key), appliedIndex,
                sections.coordination()), sections.acl());
    }

    private static KvEntry readEntry(CrcBlockReader reader, byte[] keyBytes, long appliedIndex, long i, int version)
            throws IOException {
        long at = reader.position();
        int keyLength = reader.readUnsignedShort();
        if (keyLength < 1 || keyLength > KvKeys.MAX_KEY_BYTES) {
            throw new CorruptSnapshotException(at, "entry " + i + " has key length " + keyLength
                    + ", not in 1.." + KvKeys.MAX_KEY_BYTES);
        }
        reader.readFully(keyBytes, 0, keyLength);
        String key;
        try {
            key = KvKeys.decode(keyBytes, 0, keyLength);
        } catch (IllegalArgumentException e) {
            throw new CorruptSnapshotException(at, "entry " + i + " has a bad key: " + e.getMessage());
        }
        long createIndex = reader.readLong();
        long modifyIndex = reader.readLong();
        if (createIndex < 1 || modifyIndex < createIndex || modifyIndex > appliedIndex) {
            throw new CorruptSnapshotException(at, "entry " + i + " (" + key + ") has createIndex "
                    + createIndex + ", modifyIndex " + modifyIndex + " with applied index " + appliedIndex);
        }
        long lockIndex = 0;
        long flags = 0;
        String session = null;
        if (version == VERSION) {
            lockIndex = reader.readLong();
            flags = reader.readLong();
            String holder = readString(reader);
            session = holder.isEmpty() ? null : holder;
            if (lockIndex < 0) {
                throw new CorruptSnapshotException(at, "entry " + i + " (" + key + ") has lockIndex " + lockIndex);
            }
        }
        long valueLength = Integer.toUnsignedLong(reader.readInt());
        if (valueLength > KvCommand.MAX_VALUE_BYTES) {
            throw new CorruptSnapshotException(at, "entry " + i + " (" + key + ") has a "
                    + valueLength + "-byte value, over the limit of " + KvCommand.MAX_VALUE_BYTES);
        }
        byte[] value = new byte[(int) valueLength];
        reader.readFully(value, 0, value.length);
        return new KvEntry(key, value, createIndex, modifyIndex, lockIndex, flags, session);
    }

    private static int crc32c(byte[] bytes, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return (int) crc.getValue();
    }
}
