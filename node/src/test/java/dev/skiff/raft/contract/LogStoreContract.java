package dev.skiff.raft.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogStore;
import dev.skiff.raft.LogType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link LogStore} contract, written once and run against every implementation (in
 * memory, the segmented WAL, and later the cloud stores): extend it, implement
 * {@link #newStore()}, and implement {@link #reopen} if the store is durable.
 *
 * <p>Entries carry payloads derived from (index, term), so that any read can be checked for
 * being exactly what was written.
 */
public abstract class LogStoreContract {

    private final List<LogStore> opened = new ArrayList<>();

    /** A new, empty store. Called once per test (and only once, unless {@link #reopen} is used). */
    protected abstract LogStore newStore() throws IOException;

    /**
     * Closes {@code store} and opens it again over the same storage, as a restarted process
     * would. Stores without durability return {@code store} itself.
     */
    protected LogStore reopen(LogStore store) throws IOException {
        return store;
    }

    private LogStore store() throws IOException {
        LogStore s = newStore();
        opened.add(s);
        return s;
    }

    private LogStore restart(LogStore s) throws IOException {
        LogStore r = reopen(s);
        opened.add(r);
        return r;
    }

    @AfterEach
    void closeStores() throws IOException {
        for (LogStore s : opened) {
            s.close();
        }
    }

    /** A deterministic entry: the payload is a function of index and term (length 0..300). */
    protected static LogEntry entry(long index, long term) {
        SplittableRandom r = new SplittableRandom(index * 31 + term);
        byte[] data = new byte[r.nextInt(301)];
        r.nextBytes(data);
        LogType type = index % 17 == 0 ? LogType.NOOP : LogType.COMMAND;
        return new LogEntry(index, term, type, data);
    }

    protected static List<LogEntry> entries(long from, long to, long term) {
        List<LogEntry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(entry(i, term));
        }
        return out;
    }

    private static void assertHolds(LogStore s, long from, long to, long term) throws IOException {
        for (long i = from; i <= to; i++) {
            assertThat(s.getLog(i)).as("entry %d", i).contains(entry(i, term));
        }
    }

    @Test
    void when_empty_then_noIndexesAndNoEntries() throws IOException {
        LogStore s = store();
        assertThat(s.firstIndex()).isZero();
        assertThat(s.lastIndex()).isZero();
        assertThat(s.getLog(1)).isEmpty();
        assertThat(s.getLogs(1, 10, Long.MAX_VALUE)).isEmpty();
    }

    @Test
    void when_batchStored_then_everyEntryReadsBackIdentical() throws IOException {
        LogStore s = store();
        s.storeLogs(entries(1, 10, 1));
        s.storeLogs(entries(11, 500, 2));
        assertThat(s.firstIndex()).isEqualTo(1);
        assertThat(s.lastIndex()).isEqualTo(500);
        assertHolds(s, 1, 10, 1);
        assertHolds(s, 11, 500, 2);
        assertThat(s.getLog(0)).isEmpty();
        assertThat(s.getLog(501)).isEmpty();
    }

    @Test
    void when_entriesHaveEdgePayloads_then_theyReadBackIdentical() throws IOException {
        LogStore s = store();
        byte[] big = new byte[1 << 20];
        new SplittableRandom(7).nextBytes(big);
        List<LogEntry> batch = List.of(
                LogEntry.of(1, 1, LogType.NOOP),
                new LogEntry(2, 1, LogType.CONFIGURATION, new byte[] {1, 2, 3}),
                new LogEntry(3, Long.MAX_VALUE, LogType.BARRIER, new byte[0]),
                new LogEntry(4, Long.MAX_VALUE, LogType.COMMAND, big));
        s.storeLogs(batch);
        for (LogEntry e : batch) {
            assertThat(s.getLog(e.index())).contains(e);
        }
    }

    @Test
    void when_firstBatchOfEmptyStore_then_itMayStartAtAnyIndex() throws IOException {
        LogStore s = store();
        s.storeLogs(entries(100, 120, 3));
        assertThat(s.firstIndex()).isEqualTo(100);
        assertThat(s.lastIndex()).isEqualTo(120);
        assertThat(s.getLog(99)).isEmpty();
        assertHolds(s, 100, 120, 3);
    }

    @Test
    void when_emptyBatch_then_nothingChanges() throws IOException {
        LogStore s = store();
        s.storeLogs(List.of());
        s.storeLogs(entries(1, 3, 1));
        s.storeLogs(List.of());
        assertThat(s.lastIndex()).isEqualTo(3);
    }

    @Test
    void when_batchLeavesGapOrOverlaps_then_itIsRejectedAndNothingIsStored() throws IOException {
        LogStore s = store();
        s.storeLogs(entries(1, 5, 1));
        assertThatThrownBy(() -> s.storeLogs(entries(7, 8, 1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.storeLogs(entries(5, 8, 1))).isInstanceOf(IllegalArgumentException.class);
        List<LogEntry> holey = new ArrayList<>(entries(6, 7, 1));
        holey.add(entry(9, 1));
        assertThatThrownBy(() -> s.storeLogs(holey)).isInstanceOf(IllegalArgumentException.class);
        assertThat(s.lastIndex()).isEqualTo(5);
        assertThat(s.getLog(6)).isEmpty();
        s.storeLogs(entries(6, 7, 1));
        assertHolds(s, 1, 7, 1);
    }

    @Test
    void when_getLogsWithByteLimit_then_itStopsOnceTheLimitIsReachedButReturnsAtLeastOne() throws IOException {
        LogStore s = store();
        s.storeLogs(entries(1, 100, 1));
        assertThat(s.getLogs(1, 100, Long.MAX_VALUE)).isEqualTo(entries(1, 100, 1));
        assertThat(s.getLogs(10, 20, Long.MAX_VALUE)).isEqualTo(entries(10, 20, 1));
        assertThat(s.getLogs(90, 200, Long.MAX_VALUE)).isEqualTo(entries(90, 100, 1));
        assertThat(s.getLogs(5, 50, 0)).isEqualTo(entries(5, 5, 1));

        long limit = 1000;
        List<LogEntry> got = s.getLogs(1, 100, limit);
        long sumBeforeLast = got.subList(0, got.size() - 1).stream().mapToLong(e -> e.data().length).sum();
        long sum = sumBeforeLast + got.getLast().data().length;
        assertThat(got).isEqualTo(entries(1, got.size(), 1));
        assertThat(sumBeforeLast).as("stops once the payloads reach maxBytes").isLessThan(limit);
        assertThat(sum >= limit || got.size() == 100).isTrue();
        assertThat(s.getLogs(101, 200, Long.MAX_VALUE)).isEmpty();
    }

    @Test
    void when_suffixTruncated_then_laterEntriesAreGoneAndNewOnesTakeTheirPlace() throws IOException {
        LogStore s = store();
        s.storeLogs(entries(1, 300, 1));
        s.truncateSuffix(120);
        assertThat(s.lastIndex()).isEqualTo(120);
        assertThat(s.getLog(121)).isEmpty();
        assertThat(s.getLogs(100, 300, Long.MAX_VALUE)).isEqualTo(entries(100, 120, 1));
        assertThatThrownBy(() -> s.storeLogs(entries(200, 201, 2))).isInstanceOf(IllegalArgumentException.class);
        s.storeLogs(entries(121, 150, 2));
        assertHolds(s, 1, 120, 1);
        assertHolds(s, 121, 150, 2);

        LogStore r = restart(s);
        assertThat(r.lastIndex()).isEqualTo(150);
        assertHolds(r, 1, 120, 1);
        assertHolds(r, 121, 150, 2);
        assertThat(r.getLog(151)).isEmpty();
    }

    @Test
    void when_suffixTruncatedAtOrBeyondTheEnd_then_nothingChanges() throws IOException {
        LogStore s = store();
        s.storeLogs(entries(1, 10, 1));
        s.truncateSuffix(10);
        s.truncateSuffix(50);
        assertThat(s.lastIndex()).isEqualTo(10);
        assertHolds(s, 1, 10, 1);
    }

    @Test
    void when_suffixTruncatedBeforeTheFirstEntry_then_theLogIsEmpty() throws IOException {
        LogStore s = store();
        s.storeLogs(entries(1, 10, 1));
        s.truncateSuffix(0);
        assertThat(s.firstIndex()).isZero();
        assertThat(s.lastIndex()).isZero();
        assertThat(s.getLog(1)).isEmpty();
        s.storeLogs(entries(1, 3, 2));
        assertHolds(s, 1, 3, 2);
        LogStore r = restart(s);
        assertHolds(r, 1, 3, 2);
        assertThat(r.lastIndex()).isEqualTo(3);
    }

    @Test
    void when_prefixTruncated_then_keptEntriesAreIntactAndAppendsContinue() throws IOException {
        LogStore s = store();
        s.storeLogs(entries(1, 1000, 1));
        s.truncatePrefix(600);
        assertThat(s.firstIndex()).isBetween(1L, 600L);
        assertThat(s.lastIndex()).isEqualTo(1000);
        assertHolds(s, 600, 1000, 1);
        for (long i = 1; i < 600; i++) {
            Optional<LogEntry> e = s.getLog(i);
            assertThat(e.isEmpty() || e.get().equals(entry(i, 1)))
                    .as("a discarded entry is either gone or still exactly as written: %d", i).isTrue();
        }
        s.storeLogs(entries(1001, 1010, 2));
        s.truncatePrefix(300);
        assertThat(s.firstIndex()).isBetween(1L, 600L);

        LogStore r = restart(s);
        assertThat(r.firstIndex()).isBetween(1L, 600L);
        assertThat(r.lastIndex()).isEqualTo(1010);
        assertHolds(r, 600, 1000, 1);
        assertHolds(r, 1001, 1010, 2);
    }

    @Test
    void when_prefixTruncatedBeyondTheEnd_then_theLogIsEmptyAndContinuesAfterItsOldEnd() throws IOException {
        LogStore s = store();
        s.storeLogs(entries(1, 50, 1));
        s.truncatePrefix(51);
        assertThat(s.lastIndex()).isZero();
        assertThat(s.firstIndex()).isZero();
        assertThat(s.getLog(50)).isEmpty();
        assertThatThrownBy(() -> s.storeLogs(entries(60, 61, 1))).isInstanceOf(IllegalArgumentException.class);
        s.storeLogs(entries(51, 52, 2));
        assertHolds(s, 51, 52, 2);
    }

    @Test
    void when_reset_then_theLogIsEmptyAndTheNextEntryMustHaveTheGivenIndex() throws IOException {
        LogStore s = store();
        s.storeLogs(entries(1, 50, 1));
        s.reset(1000);
        assertThat(s.firstIndex()).isZero();
        assertThat(s.lastIndex()).isZero();
        assertThat(s.getLog(10)).isEmpty();
        assertThatThrownBy(() -> s.storeLogs(entries(51, 52, 1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.storeLogs(entries(1001, 1002, 1))).isInstanceOf(IllegalArgumentException.class);
        s.storeLogs(entries(1000, 1005, 4));
        assertThat(s.firstIndex()).isEqualTo(1000);
        assertHolds(s, 1000, 1005, 4);

        LogStore r = restart(s);
        assertThat(r.firstIndex()).isEqualTo(1000);
        assertThat(r.lastIndex()).isEqualTo(1005);
        assertHolds(r, 1000, 1005, 4);
        assertThat(r.getLog(10)).isEmpty();
    }

    @Test
    void when_resetToAnInvalidIndex_then_itIsRejected() throws IOException {
        LogStore s = store();
        assertThatThrownBy(() -> s.reset(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void when_reopened_then_everyStoredEntryIsThere() throws IOException {
        LogStore s = store();
        for (long i = 1; i <= 2000; i += 40) {
            s.storeLogs(entries(i, i + 39, 1 + i / 500));
        }
        LogStore r = restart(s);
        assertThat(r.firstIndex()).isEqualTo(1);
        assertThat(r.lastIndex()).isEqualTo(2000);
        for (long i = 1; i <= 2000; i += 40) {
            assertHolds(r, i, i + 39, 1 + i / 500);
        }
        r.storeLogs(entries(2001, 2050, 9));
        assertHolds(r, 2001, 2050, 9);
    }

    @Test
    void when_closedTwice_then_secondCloseDoesNothing() throws IOException {
        LogStore s = newStore();
        s.storeLogs(entries(1, 3, 1));
        s.close();
        s.close();
    }

    @Test
    void when_readersRunDuringWrites_then_theyNeverSeeAWrongOrTornEntry() throws Exception {
        LogStore s = store();
        s.storeLogs(entries(1, 100, 1));
        AtomicBoolean done = new AtomicBoolean();
        ExecutorService readers = Executors.newFixedThreadPool(2);
        try {
            List<Future<Long>> results = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                long seed = t;
                results.add(readers.submit((Callable<Long>) () -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    long checked = 0;
                    while (!done.get()) {
                        long last = s.lastIndex();
                        long first = s.firstIndex();
                        // first and last are read apart while the writer truncates: skip a
                        // moment where they cross.
                        if (last == 0 || Math.max(1, first) > last) {
                            continue;
                        }
                        long i = r.nextLong(Math.max(1, first), last + 1);
                        Optional<LogEntry> e = s.getLog(i);
                        if (e.isPresent()) {
                            LogEntry got = e.get();
                            // The writer below uses term = 1 + round; any round's entry is a valid answer.
                            assertThat(got).isEqualTo(entry(i, got.term()));
                            checked++;
                        }
                        for (LogEntry g : s.getLogs(i, i + 20, 4096)) {
                            assertThat(g).isEqualTo(entry(g.index(), g.term()));
                        }
                    }
                    return checked;
                }));
            }
            long next = 101;
            for (int round = 1; round <= 60; round++) {
                s.storeLogs(entries(next, next + 49, 1 + round));
                next += 50;
                if (round % 7 == 0) {
                    s.truncateSuffix(next - 30);
                    next -= 29;
                }
                if (round % 20 == 0) {
                    s.truncatePrefix(next - 500);
                }
            }
            done.set(true);
            for (Future<Long> f : results) {
                f.get();
            }
        } finally {
            done.set(true);
            readers.shutdownNow();
        }
    }
}
