package dev.skiff.wal;

import dev.skiff.raft.CorruptLogException;
import dev.skiff.raft.StableStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * A {@link StableStore} in one small file, rewritten whole on every change: written to a
 * temporary file, forced, renamed over the old one, and the directory forced. A crash leaves
 * either the old or the new file, never a mix.
 *
 * <pre>
 * File format (big-endian):
 *   0  8  magic "SKIFFSTB"
 *   8  4  format version, 1
 *   12 4  number of entries n
 *   then n times: u16 key length, key (UTF-8), u32 value length, value
 *   last 4 bytes: CRC32C of everything before them
 * </pre>
 *
 * <p>Thread-safe (one lock); every value is held in memory, so reads never touch the disk.
 * Writes are rare (a new term, a vote), so rewriting the file is cheap.
 */
public final class FileStableStore implements StableStore {

    /** Name of the file inside the store's directory. */
    public static final String FILE_NAME = "stable.bin";
    private static final byte[] MAGIC = "SKIFFSTB".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;

    private final Path dir;
    private final Path file;
    private final Path temp;
    private TreeMap<String, byte[]> values;

    private FileStableStore(Path dir, TreeMap<String, byte[]> values) {
        this.dir = dir;
        this.file = dir.resolve(FILE_NAME);
        this.temp = dir.resolve(FILE_NAME + ".tmp");
        this.values = values;
    }

    /**
     * Opens the store in {@code dir} (created if missing). A leftover temporary file from a crash
     * mid-write is discarded: the rename never happened, so the old file is the truth.
     *
     * @throws CorruptLogException if the file fails its checksum or is not a stable-store file
     */
    public static FileStableStore open(Path dir) throws IOException {
        PrivateFiles.createDirectories(dir);
        Files.deleteIfExists(dir.resolve(FILE_NAME + ".tmp"));
        Path file = dir.resolve(FILE_NAME);
        TreeMap<String, byte[]> values = Files.exists(file) ? decode(file, Files.readAllBytes(file)) : new TreeMap<>();
        return new FileStableStore(dir, values);
    }

    @Override
    public synchronized Optional<byte[]> get(String key) {
        byte[] v = values.get(key);
        return v == null ? Optional.empty() : Optional.of(v.clone());
    }

    @Override
    public synchronized void setAll(Map<String, byte[]> newValues) throws IOException {
        TreeMap<String, byte[]> next = new TreeMap<>(values);
        newValues.forEach((k, v) -> next.put(validKey(k), v.clone()));
        byte[] bytes = encode(next);
        try (FileChannel ch = PrivateFiles.open(temp, java.util.EnumSet.of(StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING))) {
            SegmentWriter.writeFully(ch, ByteBuffer.wrap(bytes), 0);
            ch.force(true);
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Durable.syncDirectory(dir);
        values = next;
    }

    private static String validKey(String key) {
        if (key.isEmpty() || key.getBytes(StandardCharsets.UTF_8).length > 0xFFFF) {
            throw new IllegalArgumentException("stable store key must be 1..65535 bytes of UTF-8: '" + key + "'");
        }
        return key;
    }

    private static byte[] encode(TreeMap<String, byte[]> values) {
        int size = MAGIC.length + 8 + 4;
        for (var e : values.entrySet()) {
            size += 2 + e.getKey().getBytes(StandardCharsets.UTF_8).length + 4 + e.getValue().length;
        }
        ByteBuffer buf = ByteBuffer.allocate(size);
        buf.put(MAGIC).putInt(VERSION).putInt(values.size());
        for (var e : values.entrySet()) {
            byte[] key = e.getKey().getBytes(StandardCharsets.UTF_8);
            buf.putShort((short) key.length).put(key).putInt(e.getValue().length).put(e.getValue());
        }
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 0, size - 4);
        buf.putInt((int) crc.getValue());
        return buf.array();
    }

    private static TreeMap<String, byte[]> decode(Path file, byte[] bytes) throws CorruptLogException {
        int headerBytes = MAGIC.length + 8;
        if (bytes.length < headerBytes + 4) {
            throw Corruption.at(file, bytes.length, "stable store file is cut off (" + bytes.length + " bytes)");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        if ((int) crc.getValue() != buf.getInt(bytes.length - 4)) {
            throw Corruption.at(file, bytes.length - 4, "stable store checksum mismatch");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes[i] != MAGIC[i]) {
                throw Corruption.at(file, 0, "not a Skiff stable store file (bad magic)");
            }
        }
        buf.position(MAGIC.length);
        int version = buf.getInt();
        if (version != VERSION) {
            throw Corruption.at(file, MAGIC.length, "unsupported stable store version " + version);
        }
        int count = buf.getInt();
        TreeMap<String, byte[]> values = new TreeMap<>();
        buf.limit(bytes.length - 4);
        try {
            for (int i = 0; i < count; i++) {
                byte[] key = new byte[Short.toUnsignedInt(buf.getShort())];
                buf.get(key);
                int length = buf.getInt();
                if (length < 0 || length > buf.remaining()) {
                    throw Corruption.at(file, buf.position() - 4, "impossible value length " + length);
                }
                byte[] value = new byte[length];
                buf.get(value);
                values.put(new String(key, StandardCharsets.UTF_8), value);
            }
        } catch (java.nio.BufferUnderflowException e) {
            throw Corruption.at(file, buf.position(), "stable store entries run past the end of the file");
        }
        if (buf.hasRemaining()) {
            throw Corruption.at(file, buf.position(), "trailing bytes after " + count + " entries");
        }
        return values;
    }

    /** Nothing to release: the file is closed after every write. Idempotent. */
    @Override
    public void close() {
    }
}
