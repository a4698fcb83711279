package dev.skiff.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A disk that fills up: writes fail, nothing acknowledged is damaged, writes resume once space is back. */
class SegmentedLogStoreDiskFullTest {

    @TempDir
    Path dir;

    private static List<LogEntry> batch(long from, int count, long term) {
        List<LogEntry> out = new ArrayList<>();
        for (long i = from; i < from + count; i++) {
            byte[] data = new byte[(int) (i % 200)];
            new SplittableRandom(i * 7 + term).nextBytes(data);
            out.add(new LogEntry(i, term, LogType.COMMAND, data));
        }
        return out;
    }

    private static void assertHolds(SegmentedLogStore s, long from, long to, long term) throws IOException {
        for (long i = from; i <= to; i++) {
            assertThat(s.getLog(i)).as("entry %d", i).contains(batch(i, 1, term).getFirst());
        }
    }

    // Free space at which the disk fills: inside a batch, on a segment header, on a roll.
    @ParameterizedTest
    @ValueSource(longs = {0, 23, 24, 100, 5_000, 17_777, 40_000})
    void when_diskFills_then_writeFailsAcknowledgedDataStaysAndWritesResumeAfterSpaceIsFreed(long freeBytes)
            throws IOException {
        DiskFullChannels disk = new DiskFullChannels(freeBytes);
        var options = SegmentedLogStore.Options.DEFAULTS.withMaxSegmentBytes(8 << 10).withCache(16, 4096)
                .withChannels(disk);
        long acked = 0;
        try (SegmentedLogStore s = SegmentedLogStore.open(dir, options)) {
            IOException failure = null;
            while (failure == null) {
                try {
                    s.storeLogs(batch(acked + 1, 20, 1));
                    acked += 20;
                } catch (IOException e) {
                    failure = e;
                }
            }
            assertThat(failure).hasMessageContaining("No space left on device");
            assertThat(s.lastIndex()).isEqualTo(acked);
            assertThat(s.getLog(acked + 1)).isEmpty();
            assertHolds(s, 1, acked, 1);
            // Still full: fails again, still without damage.
            assertThatThrownBy(() -> s.storeLogs(batch(s.lastIndex() + 1, 20, 1))).isInstanceOf(IOException.class);
            assertThat(s.lastIndex()).isEqualTo(acked);

            disk.setFreeBytes(Long.MAX_VALUE / 2);
            s.storeLogs(batch(acked + 1, 20, 2));
            assertHolds(s, 1, acked, 1);
            assertHolds(s, acked + 1, acked + 20, 2);
        }
        try (SegmentedLogStore reopened = SegmentedLogStore.open(dir, options)) {
            assertThat(reopened.lastIndex()).isEqualTo(acked + 20);
            assertHolds(reopened, 1, acked, 1);
            assertHolds(reopened, acked + 1, acked + 20, 2);
            reopened.storeLogs(batch(acked + 21, 5, 3));
            assertHolds(reopened, acked + 21, acked + 25, 3);
        }
    }

    @Test
    void when_processRestartsWhileDiskIsStillFull_then_everyAcknowledgedEntryIsThere() throws IOException {
        DiskFullChannels disk = new DiskFullChannels(10_000);
        var options = SegmentedLogStore.Options.DEFAULTS.withMaxSegmentBytes(4096).withChannels(disk);
        long acked = 0;
        try (SegmentedLogStore s = SegmentedLogStore.open(dir, options)) {
            try {
                while (true) {
                    s.storeLogs(batch(acked + 1, 7, 1));
                    acked += 7;
                }
            } catch (IOException expected) {
                // the disk is full
            }
        }
        try (SegmentedLogStore s = SegmentedLogStore.open(dir, options)) {
            assertThat(s.lastIndex()).isEqualTo(acked);
            assertHolds(s, 1, acked, 1);
        }
    }
}
