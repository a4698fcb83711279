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
 * <p>Format (big-endian), version 1:
 * <pre>
 *   header, 30 bytes:
 *     8 bytes  magic "SKIFFKVS"
 *     u16      version = 1
 *     u64      appliedIndex      the state's applied index
 *     u64      entryCount
 *     u32      CRC32C of the 26 bytes above
 *   then entryCount records, in strictly increasing key order ({@link KvKeys#ORDER}), framed
 *   in checksummed blocks by {@link CrcBlockWriter} (a record may span blocks):
 *     u16      keyLength (1..1024), keyLength bytes of UTF-8
 *     u64      createIndex
 *     u64      modifyIndex       1 &lt;= createIndex &lt;= modifyIndex &lt;= appliedIndex
 *     u32      valueLength (&lt;= {@link KvCommand#MAX_VALUE_BYTES}), valueLength bytes
 *   version 2 only: the ACL section, in the same blocks after the last record:
 *     u32      length (&lt;= 64 MiB), that many bytes of {@link AclStateCodec}'s form
 *   then the end block, and nothing after it.
 * </pre>
 * Version 2 adds the ACL token table; a state without tokens is still written as version 1,
 * byte for byte what earlier versions wrote and read. Both versions are read.
 * The version is checked before the header checksum, since a later version may lay out the rest
 * of the header differently. Stateless and thread-safe.
 */
final class KvSnapshotCodec {

    static final int VERSION = 1;
    /** The version with the ACL section. */
    static final int VERSION_WITH_ACL = 2;
    private static final int MAX_ACL_SECTION_BYTES = 64 << 20;
    private static final byte[] MAGIC = "SKIFFKVS".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER_BYTES = 30;

    private KvSnapshotCodec() {
    }

    /** Writes {@code state} to {@code out}, which is neither flushed nor closed. */
    static void write(KvState state, OutputStream out) throws IOException {
        write(state, AclState.empty(), out);
    }

    /** Writes {@code state} and the token table {@code acl} to {@code out}, which is neither flushed nor closed. */
    static void write(KvState state, AclState acl, OutputStream out) throws IOException {
        int version = acl.size() == 0 ? VERSION : VERSION_WITH_ACL;
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        header.put(MAGIC).putShort((short) version).putLong(state.appliedIndex()).putLong(state.size());
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
            blocks.writeInt(entry.value().length);
            blocks.write(entry.value(), 0, entry.value().length);
        }
        if (version == VERSION_WITH_ACL) {
            byte[] section = AclStateCodec.encode(acl);
            blocks.writeInt(section.length);
            blocks.write(section, 0, section.length);
        }
        blocks.finish();
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
     * @param acl the token table (empty from a version-1 snapshot)
     */
    record Restored(KvState kv, AclState acl) {
    }

    /**
     * Reads a whole snapshot stream, to its end, with its ACL section.
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
        if (v != VERSION && v != VERSION_WITH_ACL) {
            throw new CorruptSnapshotException(MAGIC.length, "unsupported snapshot version " + v
                    + "; this server reads versions " + VERSION + " and " + VERSION_WITH_ACL
                    + " (corrupt, or written by a newer Skiff)");
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
            KvEntry entry = readEntry(reader, keyBytes, appliedIndex, i);
            if (previousKey != null && KvKeys.ORDER.compare(previousKey, entry.key()) >= 0) {
                throw new CorruptSnapshotException(at, "entry " + i + " ("
                        + entry.key() + ") is not after the previous key (" + previousKey + ")");
            }
            previousKey = entry.key();
            entries.add(entry);
        }
        AclState acl = v == VERSION_WITH_ACL ? readAclSection(reader) : AclState.empty();
        reader.expectEnd();
        return new Restored(new KvState(PersistentTreeMap.ofSorted(KvKeys.ORDER, entries, KvEntry::key), appliedIndex),
                acl);
    }

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

    private static KvEntry readEntry(CrcBlockReader reader, byte[] keyBytes, long appliedIndex, long i)
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
        long valueLength = Integer.toUnsignedLong(reader.readInt());
        if (valueLength > KvCommand.MAX_VALUE_BYTES) {
            throw new CorruptSnapshotException(at, "entry " + i + " (" + key + ") has a "
                    + valueLength + "-byte value, over the limit of " + KvCommand.MAX_VALUE_BYTES);
        }
        byte[] value = new byte[(int) valueLength];
        reader.readFully(value, 0, value.length);
        return new KvEntry(key, value, createIndex, modifyIndex);
    }

    private static int crc32c(byte[] bytes, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return (int) crc.getValue();
    }
}
