package dev.skiff.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.raft.CorruptLogException;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the segmented log does beyond the LogStore contract: files, recovery, guards. */
class SegmentedLogStoreTest {

    private static final SegmentedLogStore.Options SMALL = SegmentedLogStore.Options.DEFAULTS
            .withMaxSegmentBytes(2048).withCache(0, 0);

    @TempDir
    Path dir;

    private static List<LogEntry> entries(long from, long to, long term) {
        List<LogEntry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(new LogEntry(i, term, LogType.COMMAND, ("entry-" + i + "-" + term).repeat(3).getBytes()));
        }
        return out;
    }

    private List<String> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("log_")).sorted().toList();
        }
    }

    /**
     * Where the records of an in-progress segment end: before the zeros written ahead (the test
     * entries never end in a zero byte).
     */
    private static long dataEnd(Path segment) throws IOException {
        byte[] bytes = Files.readAllBytes(segment);
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] == 0) {
            end--;
        }
        return end;
    }

    @Test
    void when_smallBatchesAreAppended_then_zerosAreWrittenAheadAndCutOffWhenTheSegmentCloses() throws IOException {
        var options = SegmentedLogStore.Options.DEFAULTS.withMaxSegmentBytes(4096);
        try (SegmentedLogStore log = SegmentedLogStore.open(dir, options)) {
            log.storeLogs(entries(1, 3, 1));
            Path inProgress = dir.resolve(files().getLast());
            assertThat(Files.size(inProgress)).isGreaterThanOrEqualTo(SegmentWriter.PREALLOCATE_BYTES);
            for (long i = 4; i <= 100; i += 3) {
                log.storeLogs(entries(i, i + 2, 1));
            }
            for (String name : files().subList(0, files().size() - 1)) {
                assertThat(Files.size(dir.resolve(name))).as(name).isEqualTo(dataEnd(dir.resolve(name)));
            }
        }
        try (SegmentedLogStore log = SegmentedLogStore.open(dir, options)) {
            assertThat(log.lastIndex()).isEqualTo(102);
            assertThat(log.getLogs(1, 102, Long.MAX_VALUE)).isEqualTo(entries(1, 102, 1));
        }
    }

    @Test
    void when_segmentsFill_then_theyAreClosedUnderNamesCarryingTheirRange() throws IOException {
        try (SegmentedLogStore log = SegmentedLogStore.open(dir, SMALL)) {
            for (long i = 1; i <= 200; i += 10) {
                log.storeLogs(entries(i, i + 9, 1));
            }
        }
        List<String> names = files();
        assertThat(names).hasSizeGreaterThan(3);
        assertThat(names.getLast()).matches("log_inprogress_\\d{20}");
        long expectedFirst = 1;
        for (String n : names.subList(0, names.size() - 1)) {
            SegmentName name = SegmentName.parse(n).orElseThrow();
            assertThat(name.isInProgress()).isFalse();
            assertThat(name.firstIndex()).isEqualTo(expectedFirst);
            expectedFirst = name.lastIndex() + 1;
        }
        assertThat(SegmentName.parse(names.getLast()).orElseThrow().firstIndex()).isEqualTo(expectedFirst);
    }

    @Test
    void when_prefixTruncated_then_wholeSegmentsBeforeItAreDeleted() throws IOException {
        try (SegmentedLogStore log = SegmentedLogStore.open(dir, SMALL)) {
            log.storeLogs(entries(1, 30, 1));
            for (long i = 31; i <= 300; i += 10) {
                log.storeLogs(entries(i, i + 9, 1));
            }
            int before = files().size();
            log.truncatePrefix(250);
            assertThat(files().size()).isLessThan(before);
            for (String n : files()) {
                SegmentName name = SegmentName.parse(n).orElseThrow();
                assertThat(name.isInProgress() || name.lastIndex() >= 250).as(n).isTrue();
            }
            assertThat(log.firstIndex()).isLessThanOrEqualTo(250).isGreaterThan(1);
        }
    }

    @Test
    void when_suffixTruncatedIntoAClosedSegment_then_laterSegmentsAreDeletedAndItIsReopenedForAppends()
            throws IOException {
        try (SegmentedLogStore log = SegmentedLogStore.open(dir, SMALL)) {
            for (long i = 1; i <= 200; i += 10) {
                log.storeLogs(entries(i, i + 9, 1));
            }
            log.truncateSuffix(25);
            assertThat(files()).hasSizeLessThanOrEqualTo(2);
            assertThat(files().getLast()).startsWith("log_inprogress_");
            log.storeLogs(entries(26, 40, 2));
        }
        try (SegmentedLogStore log = SegmentedLogStore.open(dir, SMALL)) {
            assertThat(log.lastIndex()).isEqualTo(40);
            assertThat(log.getLogs(1, 40, Long.MAX_VALUE)).containsExactlyElementsOf(
                    Stream.concat(entries(1, 25, 1).stream(), entries(26, 40, 2).stream()).toList());
        }
    }

    @Test
    void when_tailRecordIsTorn_then_itIsCutOffAndTheEntriesBeforeItSurvive() throws IOException {
        try (SegmentedLogStore log = SegmentedLogStore.open(dir, SMALL)) {
            log.storeLogs(entries(1, 5, 1));
        }
        Path segment = dir.resolve(files().getLast());
        try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
            f.setLength(dataEnd(segment) - 3);
        }
        try (SegmentedLogStore log = SegmentedLogStore.open(dir, SMALL)) {
            assertThat(log.lastIndex()).isEqualTo(4);
            assertThat(log.getLogs(1, 10, Long.MAX_VALUE)).isEqualTo(entries(1, 4, 1));
            log.storeLogs(entries(5, 6, 2));
        }
        try (SegmentedLogStore log = SegmentedLogStore.open(dir, SMALL)) {
            assertThat(log.getLogs(5, 6, Long.MAX_VALUE)).isEqualTo(entries(5, 6, 2));
        }
    }

    @Test
    void when_aClosedSegmentIsDamaged_then_openRefusesNamingFileOffsetAndRecovery() throws IOException {
        try (SegmentedLogStore log = SegmentedLogStore.open(dir, SMALL)) {
            for (long i = 1; i <= 100; i += 10) {
                log.storeLogs(entries(i, i + 9, 1));
            }
        }
        String victim = files().getFirst();
        Path segment = dir.resolve(victim);
        try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
            f.seek(100);
            int b = f.read();
            f.seek(100);
            f.write(b ^ 0x10);
        }
        assertThatThrownBy(() -> SegmentedLogStore.open(dir, SMALL))
                .isInstanceOf(CorruptLogException.class)
                .hasMessageContaining(victim)
                .hasMessageMatching("(?s).*at offset \\d+.*")
                .hasMessageContaining("move this node's data dir aside").hasMessageContaining("start the node again with the same flags");
    }

    @Test
    void when_recordInTheMiddleOfTheLastSegmentIsDamaged_then_itIsCorruptionNotATornTail() throws IOException {
        try (SegmentedLogStore log = SegmentedLogStore.open(dir, SegmentedLogStore.Options.DEFAULTS)) {
            log.storeLogs(entries(1, 20, 1));
        }
        Path segment = dir.resolve(files().getLast());
        try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
            f.seek(SegmentWriter.HEADER_BYTES + 40);
            f.write(0xFF);
        }
        assertThatThrownBy(() -> SegmentedLogStore.open(dir, SegmentedLogStore.Options.DEFAULTS))
                .isInstanceOf(CorruptLogException.class)
                .hasMessageContaining(segment.getFileName().toString())
                .hasMessageContaining("at offset " + SegmentWriter.HEADER_BYTES);
    }

    @Test
    void when_entryOnDiskIsDamagedAfterOpen_then_readThrowsInsteadOfReturningIt() throws IOException {
        try (SegmentedLogStore log = SegmentedLogStore.open(dir, SMALL)) {
            log.storeLogs(entries(1, 3, 1));
            Path segment = dir.resolve(files().getLast());
            try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
                long lastByte = dataEnd(segment) - 1;
                f.seek(lastByte);
                int last = f.read();
                f.seek(lastByte);
                f.write(last ^ 1);
            }
            assertThat(log.getLog(1)).contains(entries(1, 1, 1).getFirst());
            assertThatThrownBy(() -> log.getLog(3)).isInstanceOf(CorruptLogException.class)
                    .hasMessageContaining(segment.getFileName().toString());
        }
    }

    @Test
    void when_recentEntriesAreRead_then_theyComeFromMemoryNotDisk() throws IOException {
        var options = SegmentedLogStore.Options.DEFAULTS.withCache(100, 1 << 20);
        try (SegmentedLogStore log = SegmentedLogStore.open(dir, options)) {
            log.storeLogs(entries(1, 300, 1));
            // Destroy the file's contents behind the store's back: cached entries still read,
            // older ones (not cached) are refused, never returned wrong.
            try (RandomAccessFile f = new RandomAccessFile(dir.resolve(files().getLast()).toFile(), "rw")) {
                f.seek(SegmentWriter.HEADER_BYTES);
                f.write(new byte[(int) f.length() - SegmentWriter.HEADER_BYTES]);
            }
            assertThat(log.getLogs(201, 300, Long.MAX_VALUE)).isEqualTo(entries(201, 300, 1));
            assertThatThrownBy(() -> log.getLog(1)).isInstanceOf(CorruptLogException.class);
        }
    }

    @Test
    void when_openedTwice_then_theSecondOpenIsRefused() throws IOException {
        try (SegmentedLogStore log = SegmentedLogStore.open(dir, SMALL)) {
            assertThatThrownBy(() -> SegmentedLogStore.open(dir, SMALL)).isInstanceOf(IOException.class)
                    .hasMessageContaining("already open");
        }
        SegmentedLogStore.open(dir, SMALL).close();
    }

    @Test
    void when_twoThreadsWriteAtOnce_then_theSecondIsRefused() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ChannelFactory blocking = (path, opts) -> new java.nio.channels.FileChannel() {
            final java.nio.channels.FileChannel inner = java.nio.channels.FileChannel.open(path, opts);

            @Override
            public int write(java.nio.ByteBuffer src, long position) throws IOException {
                if (position > SegmentWriter.HEADER_BYTES - 1) {
                    inside.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                }
                return inner.write(src, position);
            }

            @Override public int read(java.nio.ByteBuffer dst) throws IOException { return inner.read(dst); }
            @Override public long read(java.nio.ByteBuffer[] d, int o, int l) throws IOException { return inner.read(d, o, l); }
            @Override public int write(java.nio.ByteBuffer src) throws IOException { return inner.write(src); }
            @Override public long write(java.nio.ByteBuffer[] s, int o, int l) throws IOException { return inner.write(s, o, l); }
            @Override public long position() throws IOException { return inner.position(); }
            @Override public java.nio.channels.FileChannel position(long p) throws IOException { inner.position(p); return this; }
            @Override public long size() throws IOException { return inner.size(); }
            @Override public java.nio.channels.FileChannel truncate(long s) throws IOException { inner.truncate(s); return this; }
            @Override public void force(boolean m) throws IOException { inner.force(m); }
            @Override public long transferTo(long p, long c, java.nio.channels.WritableByteChannel t) throws IOException { return inner.transferTo(p, c, t); }
            @Override public long transferFrom(java.nio.channels.ReadableByteChannel s, long p, long c) throws IOException { return inner.transferFrom(s, p, c); }
            @Override public int read(java.nio.ByteBuffer dst, long p) throws IOException { return inner.read(dst, p); }
            @Override public java.nio.MappedByteBuffer map(MapMode m, long p, long s) throws IOException { return inner.map(m, p, s); }
            @Override public java.nio.channels.FileLock lock(long p, long s, boolean sh) throws IOException { return inner.lock(p, s, sh); }
            @Override public java.nio.channels.FileLock tryLock(long p, long s, boolean sh) throws IOException { return inner.tryLock(p, s, sh); }
            @Override protected void implCloseChannel() throws IOException { inner.close(); }
        };
        try (SegmentedLogStore log = SegmentedLogStore.open(dir, SMALL.withChannels(blocking))) {
            CompletableFuture<Void> first = CompletableFuture.runAsync(() -> {
                try {
                    log.storeLogs(entries(1, 2, 1));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            inside.await();
            assertThatThrownBy(() -> log.truncateSuffix(0)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("one thread at a time");
            release.countDown();
            first.get();
            assertThat(log.lastIndex()).isEqualTo(2);
        }
    }

    @Test
    void when_resetThenRestartedBeforeAnyAppend_then_theNextIndexIsRemembered() throws IOException {
        try (SegmentedLogStore log = SegmentedLogStore.open(dir, SMALL)) {
            log.storeLogs(entries(1, 10, 1));
            log.reset(500);
        }
        try (SegmentedLogStore log = SegmentedLogStore.open(dir, SMALL)) {
            assertThat(log.lastIndex()).isZero();
            assertThatThrownBy(() -> log.storeLogs(entries(11, 12, 1))).isInstanceOf(IllegalArgumentException.class);
            log.storeLogs(entries(500, 501, 2));
            assertThat(log.firstIndex()).isEqualTo(500);
        }
    }

    @Test
    void when_optionsAreOutOfRange_then_theBadFieldIsNamed() {
        assertThatThrownBy(() -> SegmentedLogStore.Options.DEFAULTS.withMaxSegmentBytes(10))
                .hasMessageContaining("maxSegmentBytes");
        assertThatThrownBy(() -> SegmentedLogStore.Options.DEFAULTS.withCache(-1, 0))
                .hasMessageContaining("cacheEntries");
    }
}
