package dev.skiff.wal;

import dev.skiff.raft.Configuration;
import dev.skiff.raft.CorruptLogException;
import dev.skiff.raft.InMemorySnapshotStore;
import dev.skiff.raft.OpenSnapshot;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.SnapshotSink;
import dev.skiff.raft.SnapshotStore;
import dev.skiff.storage.SnapshotMetaText;
import dev.skiff.storage.VerifyingSnapshotStream;
import java.io.BufferedOutputStream;
import java.io.FileNotFoundException;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SnapshotStore} in a local directory, after hashicorp/raft's
 * {@code FileSnapshotStore}: one directory per snapshot holding {@value #META_FILE} and
 * {@value #DATA_FILE}. A snapshot is written into {@code <id>.tmp/} and becomes visible only
 * when {@link SnapshotSink#commit()} renames that directory to {@code <id>/} (after forcing the
 * data and metadata, and then the parent directory). A crash leaves at most a {@code .tmp}
 * directory, which {@link #open(Path, int)} removes.
 *
 * <pre>
 * meta, UTF-8 text, one "key=value" per line:
 *   skiff-snapshot-meta=1
 *   id, index, term, configurationIndex, size   decimal
 *   configuration                               base64 of {@link ConfigurationCodec}
 *   checksum                                    "crc32c:" + hex of the data's CRC32C
 *   crc32c=&lt;hex&gt;                                CRC32C of all the lines before it (last line)
 * </pre>
 *
 * <p>Thread-safe: snapshots are written and read concurrently; commits and the removal of old
 * snapshots are serialised. Keeps the {@code retain} newest snapshots.
 */
public final class FileSnapshotStore implements SnapshotStore {

    /** Metadata file name inside a snapshot directory. */
    public static final String META_FILE = "meta";
    /** Data file name inside a snapshot directory. */
    public static final String DATA_FILE = "state.bin";
    private static final String TMP_SUFFIX = ".tmp";
    private static final String FORMAT_LINE = "skiff-snapshot-meta=1";
    /**
     * A snapshot being written is forced to disk every this many bytes. Forced only at the
     * end, a snapshot of a large state is hundreds of megabytes of dirty pages that the kernel
     * writes out in one go; the log's fsyncs on the same disk queue behind them, which stalls
     * every write for as long. In steps, a log fsync waits for one step at most (what
     * RocksDB's {@code bytes_per_sync} does).
     */
    static final long SYNC_EVERY_BYTES = 4L << 20;
    private static final Logger LOG = LoggerFactory.getLogger(FileSnapshotStore.class);
    /** Newest first, as the interface promises; ids break ties (they end in the creation time). */
    private static final Comparator<SnapshotMeta> ORDER = InMemorySnapshotStore.NEWEST_FIRST
            .thenComparing(Comparator.comparing(SnapshotMeta::id).reversed());

    private final Path dir;
    private final int retain;
    /** Opened by {@link #openForReading}: never writes to {@code dir}. */
    private final boolean readOnly;
    private long lastIdMillis;

    private FileSnapshotStore(Path dir, int retain, boolean readOnly) {
        this.dir = dir;
        this.retain = retain;
        this.readOnly = readOnly;
    }

    /**
     * Opens the store in {@code dir} (created if missing), removing snapshots left unfinished by
     * a crash.
     *
     * @param retain how many snapshots to keep (at least 1)
     */
    public static FileSnapshotStore open(Path dir, int retain) throws IOException {
        if (retain < 1) {
            throw new IllegalArgumentException("retain must be >= 1, got " + retain);
        }
        PrivateFiles.createDirectories(dir);
        try (Stream<Path> children = Files.list(dir)) {
            for (Path p : (Iterable<Path>) children::iterator) {
                if (p.getFileName().toString().endsWith(TMP_SUFFIX)) {
                    LOG.info("Removing unfinished snapshot {}", p);
                    deleteTree(p);
                }
            }
        }
        return new FileSnapshotStore(dir, retain, false);
    }

    /**
     * Opens an existing directory only to list and read its snapshots ({@code --restore-from}):
     * unlike {@link #open}, creates nothing and removes nothing, since the directory may be any
     * directory an operator named, or the store of a node that is running.
     *
     * @throws FileNotFoundException if {@code dir} is not a directory
     */
    public static FileSnapshotStore openForReading(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new FileNotFoundException(dir + " is not a directory");
        }
        return new FileSnapshotStore(dir, Integer.MAX_VALUE, true);
    }

    @Override
    public SnapshotSink create(long index, long term, Configuration configuration, long configurationIndex)
            throws IOException {
        if (readOnly) {
            throw new IOException("the snapshot store in " + dir + " was opened for reading only");
        }
        String id = term + "-" + index + "-" + uniqueMillis();
        SnapshotMeta meta = new SnapshotMeta(id, index, term, configuration, configurationIndex, -1, "");
        Path tmp = dir.resolve(id + TMP_SUFFIX);
        PrivateFiles.createDirectory(tmp);
        return new FileSink(meta, tmp);
    }

    /** Creation time in ms, strictly increasing within this store so that ids are unique. */
    private synchronized long uniqueMillis() {
        lastIdMillis = Math.max(System.currentTimeMillis(), lastIdMillis + 1);
        return lastIdMillis;
    }

    @Override
    public List<SnapshotMeta> list() throws IOException {
        List<SnapshotMeta> out = new ArrayList<>();
        try (Stream<Path> children = Files.list(dir)) {
            for (Path p : (Iterable<Path>) children::iterator) {
                if (p.getFileName().toString().endsWith(TMP_SUFFIX) || !Files.isDirectory(p)) {
                    continue;
                }
                try {
                    out.add(readMeta(p));
                } catch (NoSuchFileException e) {
                    // Being deleted by retention right now.
                } catch (CorruptLogException e) {
                    LOG.warn("Skipping snapshot with damaged metadata: {}", e.getMessage());
                }
            }
        }
        out.sort(ORDER);
        return out;
    }

    @Override
    public OpenSnapshot open(String id) throws IOException {
        if (!isSnapshotName(id)) {
            throw new FileNotFoundException("no snapshot " + id + " in " + dir);
        }
        Path snapshot = dir.resolve(id);
        SnapshotMeta meta;
        try {
            meta = readMeta(snapshot);
        } catch (NoSuchFileException e) {
            throw new FileNotFoundException("no snapshot " + id + " in " + dir);
        }
        Path data = snapshot.resolve(DATA_FILE);
        InputStream in;
        try {
            in = Files.newInputStream(data);
        } catch (NoSuchFileException e) {
            throw Corruption.in(data, "snapshot " + id + " has metadata but no data file");
        }
        return new OpenSnapshot(meta, new VerifyingSnapshotStream(in, meta.size(), meta.checksum(), "metadata",
                (offset, problem) -> Corruption.at(data, offset, problem)));
    }

    private static SnapshotMeta readMeta(Path snapshotDir) throws IOException {
        Path file = snapshotDir.resolve(META_FILE);
        return SnapshotMetaText.decode(Files.readAllBytes(file), FORMAT_LINE, "snapshot metadata",
                (offset, problem) -> Corruption.at(file, offset, problem));
    }


    @Override
    public synchronized void delete(String id) throws IOException {
        if (readOnly) {
            throw new IOException("snapshot store " + dir + " is open read-only; snapshot " + id + " not deleted");
        }
        if (!isSnapshotName(id)) {
            return; // not a snapshot's name: nothing of ours to delete
        }
        deleteTree(dir.resolve(id));
    }

    /** Whether {@code id} can name a snapshot directory here (never a path out of it or a temporary one). */
    private static boolean isSnapshotName(String id) {
        return !(id.isEmpty() || id.contains("/") || id.contains("\\") || id.startsWith(".") || id.endsWith(TMP_SUFFIX));
    }

    /** Deletes snapshots beyond the {@code retain} newest. */
    private synchronized void reap() throws IOException {
        List<SnapshotMeta> all = list();
        for (SnapshotMeta old : all.subList(Math.min(retain, all.size()), all.size())) {
            deleteTree(dir.resolve(old.id()));
        }
    }

    /** The directory, for messages. */
    @Override
    public String toString() {
        return dir.toString();
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String checksum(CRC32C crc) {
        return "crc32c:" + Long.toHexString(crc.getValue());
    }

    /** Writes one snapshot into its temporary directory. */
    private final class FileSink implements SnapshotSink {
        private final SnapshotMeta meta;
        private final Path tmp;
        private final FileOutputStream file;
        private final CRC32C crc = new CRC32C();
        private final OutputStream out;
        private long size;
        private long synced;
        private boolean done;

        FileSink(SnapshotMeta meta, Path tmp) throws IOException {
            this.meta = meta;
            this.tmp = tmp;
            this.file = new FileOutputStream(PrivateFiles.createFile(tmp.resolve(DATA_FILE)).toFile());
            OutputStream buffered = new BufferedOutputStream(file, 64 << 10);
            this.out = new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    buffered.write(b);
                    crc.update(b);
                    size++;
                    syncInSteps(buffered);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    buffered.write(b, off, len);
                    crc.update(b, off, len);
                    size += len;
                    syncInSteps(buffered);
                }

                @Override
                public void flush() throws IOException {
                    buffered.flush();
                }
            };
        }

        private void syncInSteps(OutputStream buffered) throws IOException {
            if (size - synced >= SYNC_EVERY_BYTES) {
                buffered.flush();
                file.getChannel().force(false);
                synced = size;
            }
        }

        @Override
        public String id() {
            return meta.id();
        }

        @Override
        public OutputStream out() {
            return out;
        }

        @Override
        public SnapshotMeta commit() throws IOException {
            if (done) {
                throw new IllegalStateException("snapshot " + meta.id() + " already committed or cancelled");
            }
            done = true;
            try {
                out.flush();
                file.getFD().sync();
                file.close();
                SnapshotMeta finished = meta.withData(size, checksum(crc));
                Path metaFile = tmp.resolve(META_FILE);
                try (FileChannel ch = PrivateFiles.open(metaFile, java.util.EnumSet.of(StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE))) {
                    SegmentWriter.writeFully(ch, java.nio.ByteBuffer.wrap(SnapshotMetaText.encode(FORMAT_LINE, finished)), 0);
                    ch.force(true);
                }
                Durable.syncDirectory(tmp);
                Files.move(tmp, dir.resolve(meta.id()), StandardCopyOption.ATOMIC_MOVE);
                Durable.syncDirectory(dir);
                reap();
                return finished;
            } catch (IOException | RuntimeException e) {
                discard();
                throw e;
            }
        }

        @Override
        public void cancel() {
            done = true;
            discard();
        }

        private void discard() {
            try {
                file.close();
                deleteTree(tmp);
            } catch (IOException e) {
                LOG.warn("Could not remove unfinished snapshot {}: {} (removed at the next start)", tmp, e.toString());
            }
        }
    }
}
