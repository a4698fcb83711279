package dev.skiff.wal;

import dev.skiff.raft.CorruptLogException;
import dev.skiff.raft.Incarnations;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogStore;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicated log on local disk: a directory of append-only segment files (the format is
 * documented on {@link SegmentWriter}), with the {@link LogStore} contract.
 *
 * <p>Open it with {@link #open(Path, Options)}; it holds an exclusive lock on the directory
 * until {@link #close()}, so two processes never write the same log.
 *
 * @see SegmentScanner recovery rules
 */
public final class SegmentedLogStore implements LogStore {

    /*
     * Implementation notes.
     *
     * Layout. Segments are named after their index range (SegmentName): closed ones
     * log_<first>-<last>, and at most one log_inprogress_<first>, always the last. storeLogs
     * encodes a batch into one direct buffer, writes it with one positional write at the end
     * of the in-progress segment and forces it once (group commit). Small batches write zeros
     * ahead (SegmentWriter, "Preallocation") so that most syncs do not change the file length. When the segment has
     * grown past maxSegmentBytes, the next storeLogs first closes it (rename to its range
     * name, sync the directory) and starts a new one, so a batch never waits for two fsyncs
     * and a failed roll never leaves half a batch stored.
     *
     * Concurrency. One writer (guarded: a second concurrent writer gets an
     * IllegalStateException, after Ratis' RaftLogSequentialOps). Readers take nothing for the
     * tail cache and the read lock for disk reads. The writer publishes a new immutable State
     * through a volatile field after the data it describes is durable, so readers see a
     * write entirely or not at all. Appends never change bytes a reader may be reading, so
     * they run without the lock; what removes bytes or closes channels (suffix truncation,
     * prefix deletion, reset, close) takes the write lock.
     *
     * Durability. A batch is acknowledged after force(false). Directory changes (new segment,
     * rename, delete) are followed by a sync of the directory. Suffix truncation deletes later
     * segments newest first, then cuts the segment that keeps lastIndexKept: a crash in
     * between leaves a shorter log that is still a prefix of the old one, never a hole; a
     * deleted segment must not come back after a crash (it would resurrect entries of an old
     * term), hence the directory sync before returning.
     *
     * Failures. If a write or force fails, the in-progress segment is cut back to the last
     * acknowledged byte before storeLogs throws; if even that fails, the next write retries the
     * cut first, and refuses to write until it succeeds. So a half-written batch can never be
     * followed by newer records (which would let recovery read it back).
     *
     * Recovery. See SegmentScanner: a torn tail of the in-progress segment is cut off with a
     * WARN; anything else damaged stops the open with CorruptLogException.
     */

    /**
     * Tuning of a {@link SegmentedLogStore}.
     *
     * @param maxSegmentBytes size after which a segment is closed and a new one started (the unit
     *                        of prefix deletion); 1 KiB to 1 GiB
     * @param cacheEntries    how many of the newest entries reads get from memory
     * @param cacheBytes      cap on the payload bytes of those entries
     * @param channels        opens the segment files (a seam for fault injection)
     * @param timings         told how long each append and its fsync took (metrics)
     */
    public record Options(long maxSegmentBytes, int cacheEntries, long cacheBytes, ChannelFactory channels,
                          AppendTimings timings) {

        /** 64 MiB segments: few files, and compaction frees space in reasonable steps. */
        public static final long DEFAULT_MAX_SEGMENT_BYTES = 64L << 20;
        /** Enough to serve replication and apply from memory under heavy write load. */
        public static final int DEFAULT_CACHE_ENTRIES = 16_384;
        /** Bounds the cache's memory however large the entries are. */
        public static final long DEFAULT_CACHE_BYTES = 64L << 20;
        /** The defaults above, with plain file channels. */
        public static final Options DEFAULTS = new Options(DEFAULT_MAX_SEGMENT_BYTES, DEFAULT_CACHE_ENTRIES,
                DEFAULT_CACHE_BYTES, ChannelFactory.DEFAULT, AppendTimings.NONE);

        /** @throws IllegalArgumentException naming the field that is out of range */
        public Options {
            if (maxSegmentBytes < 1024 || maxSegmentBytes > (1L << 30)) {
                throw new IllegalArgumentException("maxSegmentBytes must be 1 KiB..1 GiB, got " + maxSegmentBytes);
            }
            if (cacheEntries < 0) {
                throw new IllegalArgumentException("cacheEntries must be >= 0, got " + cacheEntries);
            }
            if (cacheBytes < 0) {
                throw new IllegalArgumentException("cacheBytes must be >= 0, got " + cacheBytes);
            }
            if (channels == null) {
                throw new IllegalArgumentException("channels must not be null");
            }
            if (timings == null) {
                throw new IllegalArgumentException("timings must not be null (AppendTimings.NONE records nothing)");
            }
        }

        /** These options with another segment size. */
        public Options withMaxSegmentBytes(long bytes) {
            return new Options(bytes, cacheEntries, cacheBytes, channels, timings);
        }

        /** These options with another tail cache size (0 entries: every read goes to disk). */
        public Options withCache(int entries, long bytes) {
            return new Options(maxSegmentBytes, entries, bytes, channels, timings);
        }

        /** These options with another way to open segment files (tests inject faults with it). */
        public Options withChannels(ChannelFactory factory) {
            return new Options(maxSegmentBytes, cacheEntries, cacheBytes, factory, timings);
        }

        /** These options reporting each append's duration to {@code appendTimings}. */
        public Options withTimings(AppendTimings appendTimings) {
            return new Options(maxSegmentBytes, cacheEntries, cacheBytes, channels, appendTimings);
        }
    }

    /**
     * What readers see: the segments and the index range, replaced as a whole by the writer.
     *
     * @param nextIndex the index the next stored entry must have, or 0 if any index is accepted
     */
    private record State(Segment[] segments, long firstIndex, long lastIndex, long nextIndex) {
        static final State EMPTY = new State(new Segment[0], 0, 0, 0);
    }

    private static final Logger LOG = LoggerFactory.getLogger(SegmentedLogStore.class);
    private static final String LOCK_FILE = "wal.lock";
    /** Largest batch in one write: keeps a segment within the 2 GiB its int offsets can address. */
    private static final long MAX_BATCH_BYTES = 1L << 30;

    private final Path dir;
    private final Options options;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final SegmentWriter writer = new SegmentWriter();
    private final TailCache cache;
    private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
    private final AtomicReference<Thread> writingThread = new AtomicReference<>();
    /** Writer-only: all segments in index order, the last one possibly in progress. */
    private final List<Segment> segments = new ArrayList<>();
    private volatile State state = State.EMPTY;
    private volatile boolean closed;
    /** Writer-only: bytes after the in-progress segment's end may hold a failed write. */
    private boolean dirtyTail;
    private long[] offsetScratch = new long[256];
    private volatile String incarnation;

    private SegmentedLogStore(Path dir, Options options, FileChannel lockChannel, FileLock lock) {
        this.dir = dir;
        this.options = options;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.cache = new TailCache(options.cacheEntries(), options.cacheBytes());
    }

    /**
     * Opens (creating if needed) the log in {@code dir}, checking every record and cutting off a
     * torn tail left by a crash (logged at WARN with the file and offset).
     *
     * @throws CorruptLogException if any record is damaged other than a torn tail; the message
     *                             names the file, the offset and how to recover
     * @throws IOException         if the directory cannot be read, or another process has it open
     */
    public static SegmentedLogStore open(Path dir, Options options) throws IOException {
        PrivateFiles.createDirectories(dir);
        FileChannel lockChannel = PrivateFiles.open(dir.resolve(LOCK_FILE), EnumSet.of(StandardOpenOption.CREATE,
                StandardOpenOption.WRITE));
        FileLock lock;
        try {
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            lockChannel.close();
            throw new IOException("the log in " + dir + " is already open (by this or another process): another node "
                    + "runs on this data directory; stop it, or give each node a --data-dir of its own");
        }
        SegmentedLogStore store = new SegmentedLogStore(dir, options, lockChannel, lock);
        try {
            store.recover();
            // A log with entries but no incarnation file was written before log identities
            // existed: its origin is unknown, and it keeps counting as it always did.
            boolean predatesIncarnations = !LogIncarnation.exists(dir) && store.lastIndex() > 0;
            store.incarnation = LogIncarnation.loadOrCreate(dir, predatesIncarnations);
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    /** Opens the log in {@code dir} with {@link Options#DEFAULTS}. */
    public static SegmentedLogStore open(Path dir) throws IOException {
        return open(dir, Options.DEFAULTS);
    }

    @Override
    public String incarnation() {
        return incarnation;
    }

    @Override
    public synchronized void markFounded() throws IOException {
        incarnation = LogIncarnation.replace(dir, Incarnations.founded(incarnation));
    }

    private void recover() throws IOException {
        List<SegmentName> names = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                try {
                    SegmentName.parse(p.getFileName().toString()).ifPresent(names::add);
                } catch (IllegalArgumentException e) {
                    throw Corruption.in(p, "bad segment file name: " + e.getMessage());
                }
            }
        }
        names.sort(Comparator.comparingLong(SegmentName::firstIndex));
        SegmentScanner scanner = new SegmentScanner();
        for (int i = 0; i < names.size(); i++) {
            SegmentName name = names.get(i);
            Path path = name.in(dir);
            boolean last = i == names.size() - 1;
            if (name.isInProgress() && !last) {
                throw Corruption.in(path, "an in-progress segment is followed by " + names.get(i + 1)
                        + "; only the last segment may be in progress");
            }
            long expectedFirst = segments.isEmpty() ? name.firstIndex() : segments.getLast().lastIndex() + 1;
            if (name.firstIndex() != expectedFirst) {
                throw Corruption.in(path, "segment starts at index " + name.firstIndex() + " but the previous one ("
                        + segments.getLast().path().getFileName() + ") ends at " + (expectedFirst - 1));
            }
            SegmentScanner.Result scan = scanner.scan(path, name, name.isInProgress());
            if (scan.headerTorn()) {
                LOG.warn("Torn write at the tail of the log: {} at offset 0 ({}); the segment holds no entries "
                        + "and is removed", path, scan.tornReason());
                Files.delete(path);
                Durable.syncDirectory(dir);
                continue;
            }
            FileChannel ch = options.channels().open(path, EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE));
            if (scan.torn()) {
                LOG.warn("Torn write at the tail of the log: {} at offset {} ({}); cutting it off after entry {} "
                        + "(it was never acknowledged)", path, scan.tornAt(), scan.tornReason(),
                        name.firstIndex() + scan.count() - 1);
                ch.truncate(scan.end());
                ch.force(false);
            }
            segments.add(new Segment(dir, name, ch, scan.offsets(), scan.count(), scan.end(), ch.size()));
        }
        publish();
    }

    // ---- reads ------------------------------------------------------------------------------

    @Override
    public long firstIndex() throws IOException {
        return liveState().firstIndex();
    }

    @Override
    public long lastIndex() throws IOException {
        return liveState().lastIndex();
    }

    @Override
    public Optional<LogEntry> getLog(long index) throws IOException {
        State s = liveState();
        if (index < s.firstIndex() || index > s.lastIndex() || s.lastIndex() == 0) {
            return Optional.empty();
        }
        LogEntry cached = cache.get(index);
        if (cached != null) {
            return Optional.of(cached);
        }
        rw.readLock().lock();
        try {
            return Optional.ofNullable(readFromDisk(liveState(), index));
        } finally {
            rw.readLock().unlock();
        }
    }

    @Override
    public List<LogEntry> getLogs(long fromInclusive, long toInclusive, long maxBytes) throws IOException {
        List<LogEntry> out = new ArrayList<>();
        long bytes = 0;
        State s = liveState();
        long to = Math.min(toInclusive, s.lastIndex());
        if (fromInclusive < s.firstIndex() || s.lastIndex() == 0) {
            return out;
        }
        boolean locked = false;
        try {
            for (long i = fromInclusive; i <= to; i++) {
                LogEntry e = cache.get(i);
                if (e == null) {
                    if (!locked) {
                        rw.readLock().lock();
                        locked = true;
                    }
                    e = readFromDisk(liveState(), i);
                    if (e == null) {
                        break;
                    }
                }
                out.add(e);
                bytes += e.data().length;
                if (bytes >= maxBytes) {
                    break;
                }
            }
        } finally {
            if (locked) {
                rw.readLock().unlock();
            }
        }
        return out;
    }

    /** Called under the read lock: the entry at {@code index} from its segment file, or null if gone. */
    private LogEntry readFromDisk(State s, long index) throws IOException {
        if (index < s.firstIndex() || index > s.lastIndex()) {
            return null;
        }
        Segment[] segs = s.segments();
        int lo = 0;
        int hi = segs.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (segs[mid].firstIndex() <= index) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return segs[lo].read(index);
    }

    /** The state readers and writers start from; refuses once the log is closed. */
    private State liveState() throws IOException {
        if (closed) {
            throw new IOException("the log in " + dir + " is closed");
        }
        return state;
    }

    // ---- writes -----------------------------------------------------------------------------

    @Override
    public void storeLogs(List<LogEntry> entries) throws IOException {
        enterWriter();
        try {
            liveState();
            if (entries.isEmpty()) {
                return;
            }
            validateBatch(entries);
            repairTailIfNeeded();
            Segment current = currentSegmentFor(entries.getFirst().index());
            if (offsetScratch.length < entries.size()) {
                offsetScratch = new long[Math.max(entries.size(), offsetScratch.length * 2)];
            }
            long newFileEnd;
            long appendStarted = System.nanoTime();
            try {
                newFileEnd = writer.append(current.channel(), current.end(), current.fileEnd(), entries, offsetScratch);
            } catch (IOException | RuntimeException e) {
                dirtyTail = true;
                try {
                    repairTailIfNeeded();
                } catch (IOException repair) {
                    e.addSuppressed(repair);
                }
                throw e;
            }
            LogEntry lastEntry = entries.getLast();
            long newEnd = offsetScratch[entries.size() - 1] + SegmentWriter.recordBytes(lastEntry.data().length);
            options.timings().appended(System.nanoTime() - appendStarted, writer.lastFsyncNanos());
            current.appended(offsetScratch, entries.size(), newEnd, newFileEnd);
            for (LogEntry e : entries) {
                cache.put(e);
            }
            publish();
        } finally {
            exitWriter();
        }
    }

    private void validateBatch(List<LogEntry> entries) {
        State s = state;
        long first = entries.getFirst().index();
        long expected = s.nextIndex() == 0 ? first : s.nextIndex();
        long bytes = 0;
        for (LogEntry e : entries) {
            if (e.index() != expected) {
                throw new IllegalArgumentException(s.lastIndex() == 0 && expected == first
                        ? "log entry " + e.index() + " does not follow " + (expected - 1) + " within the batch"
                        : "log entry " + e.index() + " does not follow " + (expected - 1)
                        + " (truncate a conflicting suffix first)");
            }
            if (e.data().length > SegmentWriter.MAX_PAYLOAD) {
                throw new IllegalArgumentException("log entry " + e.index() + " has " + e.data().length
                        + " bytes, more than the " + SegmentWriter.MAX_PAYLOAD + " a record may hold");
            }
            bytes += SegmentWriter.recordBytes(e.data().length);
            expected++;
        }
        if (bytes > MAX_BATCH_BYTES) {
            throw new IllegalArgumentException("batch of " + bytes + " bytes is larger than " + MAX_BATCH_BYTES
                    + "; store it in smaller batches");
        }
    }

    /** The in-progress segment to append a batch starting at {@code firstIndex} to, rolled or created as needed. */
    private Segment currentSegmentFor(long firstIndex) throws IOException {
        Segment last = segments.isEmpty() ? null : segments.getLast();
        if (last != null && last.name().isInProgress() && last.count() > 0
                && last.end() >= options.maxSegmentBytes()) {
            closeSegment(last);
        }
        last = segments.isEmpty() ? null : segments.getLast();
        if (last != null && last.name().isInProgress()) {
            return last;
        }
        Segment fresh = createSegment(firstIndex);
        segments.add(fresh);
        publish();
        return fresh;
    }

    /**
     * Cuts the zeros written ahead off the in-progress segment and renames it to its closed name
     * (its records were forced when written).
     */
    private void closeSegment(Segment segment) throws IOException {
        if (segment.fileEnd() != segment.end()) {
            segment.trimFile();
        }
        SegmentName closedName = SegmentName.closed(segment.firstIndex(), segment.lastIndex());
        Files.move(segment.path(), closedName.in(dir), StandardCopyOption.ATOMIC_MOVE);
        segment.renamed(closedName);
        Durable.syncDirectory(dir);
    }

    private Segment createSegment(long firstIndex) throws IOException {
        SegmentName name = SegmentName.inProgress(firstIndex);
        Path path = name.in(dir);
        FileChannel ch = options.channels().open(path, EnumSet.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.READ, StandardOpenOption.WRITE));
        try {
            writer.writeHeader(ch, firstIndex);
            Durable.syncDirectory(dir);
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch, e);
            try {
                Files.deleteIfExists(path);
            } catch (IOException delete) {
                e.addSuppressed(delete);
            }
            throw e;
        }
        return new Segment(dir, name, ch, new int[0], 0, SegmentWriter.HEADER_BYTES, SegmentWriter.HEADER_BYTES);
    }

    /** Cuts the in-progress segment back to its last acknowledged byte after a failed write. */
    private void repairTailIfNeeded() throws IOException {
        if (!dirtyTail) {
            return;
        }
        Segment last = segments.isEmpty() ? null : segments.getLast();
        if (last != null && last.name().isInProgress()) {
            last.trimFile();
        }
        dirtyTail = false;
    }

    @Override
    public void truncateSuffix(long lastIndexKept) throws IOException {
        enterWriter();
        rw.writeLock().lock();
        try {
            State s = liveState();
            if (s.lastIndex() == 0 || lastIndexKept >= s.lastIndex()) {
                return;
            }
            if (lastIndexKept < s.firstIndex()) {
                resetLocked(Math.max(1, lastIndexKept + 1));
                return;
            }
            repairTailIfNeeded();
            cache.removeAfter(lastIndexKept);
            while (segments.getLast().firstIndex() > lastIndexKept) {
                deleteSegment(segments.removeLast());
            }
            Durable.syncDirectory(dir);
            Segment keeper = segments.getLast();
            if (!keeper.name().isInProgress()) {
                SegmentName open = SegmentName.inProgress(keeper.firstIndex());
                Files.move(keeper.path(), open.in(dir), StandardCopyOption.ATOMIC_MOVE);
                keeper.renamed(open);
                Durable.syncDirectory(dir);
            }
            keeper.forgetAfter(lastIndexKept);
            keeper.trimFile();
            publish();
        } finally {
            rw.writeLock().unlock();
            exitWriter();
        }
    }

    @Override
    public void truncatePrefix(long firstIndexKept) throws IOException {
        enterWriter();
        rw.writeLock().lock();
        try {
            State s = liveState();
            if (s.lastIndex() == 0 || firstIndexKept <= s.firstIndex()) {
                return;
            }
            if (firstIndexKept > s.lastIndex()) {
                resetLocked(s.lastIndex() + 1);
                return;
            }
            boolean deleted = false;
            while (segments.getFirst().lastIndex() < firstIndexKept) {
                deleteSegment(segments.removeFirst());
                deleted = true;
            }
            if (deleted) {
                Durable.syncDirectory(dir);
            }
            publish();
        } finally {
            rw.writeLock().unlock();
            exitWriter();
        }
    }

    @Override
    public void reset(long nextIndex) throws IOException {
        if (nextIndex < 1) {
            throw new IllegalArgumentException("nextIndex must be >= 1, got " + nextIndex);
        }
        enterWriter();
        rw.writeLock().lock();
        try {
            liveState();
            resetLocked(nextIndex);
        } finally {
            rw.writeLock().unlock();
            exitWriter();
        }
    }

    /**
     * Deletes every segment (newest first, so a crash leaves a prefix) and durably creates an
     * empty in-progress segment named after {@code nextIndex}: the anchor survives a restart.
     */
    private void resetLocked(long nextIndex) throws IOException {
        cache.clear();
        dirtyTail = false;
        try {
            while (!segments.isEmpty()) {
                deleteSegment(segments.removeLast());
            }
            Durable.syncDirectory(dir);
            segments.add(createSegment(nextIndex));
        } finally {
            publish();
        }
    }

    private void deleteSegment(Segment segment) throws IOException {
        segment.close();
        Files.deleteIfExists(segment.path());
    }

    /** Makes the writer's view visible to readers. */
    private void publish() {
        Segment[] segs = segments.toArray(new Segment[0]);
        long next = segs.length == 0 ? 0 : segs[segs.length - 1].lastIndex() + 1;
        int firstNonEmpty = 0;
        while (firstNonEmpty < segs.length && segs[firstNonEmpty].count() == 0) {
            firstNonEmpty++;
        }
        if (firstNonEmpty == segs.length) {
            state = new State(segs, 0, 0, next);
        } else {
            state = new State(segs, segs[firstNonEmpty].firstIndex(), next - 1, next);
        }
    }

    private void enterWriter() {
        Thread me = Thread.currentThread();
        Thread other = writingThread.compareAndExchange(null, me);
        if (other != null) {
            throw new IllegalStateException("LogStore writes must come from one thread at a time: " + me.getName()
                    + " called while " + other.getName() + " is writing");
        }
    }

    private void exitWriter() {
        writingThread.set(null);
    }

    /** Closes the segment files and releases the directory lock. Idempotent. */
    @Override
    public void close() throws IOException {
        rw.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            IOException failure = null;
            for (Segment s : segments) {
                try {
                    s.close();
                } catch (IOException e) {
                    failure = failure == null ? e : failure;
                }
            }
            segments.clear();
            cache.clear();
            state = State.EMPTY;
            try {
                lock.release();
                lockChannel.close();
            } catch (IOException e) {
                failure = failure == null ? e : failure;
            }
            if (failure != null) {
                throw failure;
            }
        } finally {
            rw.writeLock().unlock();
        }
    }

    /** The directory this log lives in. */
    public Path directory() {
        return dir;
    }

    private static void closeQuietly(FileChannel ch, Exception cause) {
        try {
            ch.close();
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
    }
}
