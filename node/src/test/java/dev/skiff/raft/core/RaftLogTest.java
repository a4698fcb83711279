package dev.skiff.raft.core;

import static dev.skiff.raft.core.CoreFixtures.command;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.raft.InMemoryLogStore;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The core's view of the log: stored entries, the unstable tail, and the snapshot point. */
class RaftLogTest {

    private static InMemoryLogStore store(long... terms) {
        InMemoryLogStore s = new InMemoryLogStore();
        for (int i = 0; i < terms.length; i++) {
            s.storeLogs(List.of(command(i + 1, terms[i])));
        }
        return s;
    }

    @Test
    void appendedEntriesStayUnstableUntilTheDriverPersistsThem() {
        InMemoryLogStore s = store(1, 1);
        RaftLog log = new RaftLog(s, 0, 0);
        log.append(List.of(command(3, 2), command(4, 2)));
        assertThat(log.lastIndex()).isEqualTo(4);
        assertThat(log.lastTerm()).isEqualTo(2);
        assertThat(log.stableLastIndex()).isEqualTo(2);
        List<LogEntry> toPersist = log.takeEntriesToPersist();
        assertThat(toPersist).extracting(LogEntry::index).containsExactly(3L, 4L);

        s.storeLogs(toPersist);
        log.stableTo(4, 2);
        assertThat(log.takeEntriesToPersist()).isEmpty();
        assertThat(log.stableLastIndex()).isEqualTo(4);
        assertThat(log.term(4)).isEqualTo(2);
    }

    @Test
    void entriesBeingWrittenAreHandedOutOnceAndStayUnstableUntilTheWriteCompletes() {
        // A leader writes its log on another thread (thesis section 10.2.1): later Readies must
        // carry only newer entries, and the ones in flight count as durable only when confirmed.
        InMemoryLogStore s = store(1);
        RaftLog log = new RaftLog(s, 0, 0);
        log.append(List.of(command(2, 1), command(3, 1)));
        assertThat(log.takeEntriesToPersist()).extracting(LogEntry::index).containsExactly(2L, 3L);
        log.append(List.of(command(4, 1)));
        assertThat(log.takeEntriesToPersist()).extracting(LogEntry::index).containsExactly(4L);
        assertThat(log.takeEntriesToPersist()).isEmpty();
        assertThat(log.inProgressLastIndex()).isEqualTo(4);
        assertThat(log.stableLastIndex()).isEqualTo(1);
        assertThat(log.entries(2, 4, Long.MAX_VALUE)).extracting(LogEntry::index).containsExactly(2L, 3L, 4L);

        log.stableTo(3, 1);
        assertThat(log.stableLastIndex()).isEqualTo(3);
        assertThat(log.takeEntriesToPersist()).isEmpty();
    }

    @Test
    void entriesReplacedWhileBeingWrittenAreHandedOutAgain() {
        RaftLog log = new RaftLog(store(1), 0, 0);
        log.append(List.of(command(2, 1), command(3, 1)));
        log.takeEntriesToPersist();
        log.truncateAfter(2);
        log.append(List.of(command(3, 2)));
        assertThat(log.inProgressLastIndex()).isEqualTo(2);
        assertThat(log.takeEntriesToPersist()).extracting(LogEntry::term).containsExactly(2L);
        log.stableTo(3, 1);
        assertThat(log.stableLastIndex()).as("the write of the replaced entry does not count").isEqualTo(1);
        log.stableTo(3, 2);
        assertThat(log.stableLastIndex()).isEqualTo(3);
    }

    @Test
    void appendMustFollowTheLastIndex() {
        RaftLog log = new RaftLog(store(1), 0, 0);
        assertThatThrownBy(() -> log.append(List.of(command(3, 1)))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("append of 3 after 1");
    }

    @Test
    void termsAreZeroAtIndexZeroAndUnavailableOutsideTheLog() {
        RaftLog log = new RaftLog(store(1, 2), 0, 0);
        assertThat(log.term(0)).isZero();
        assertThat(log.term(2)).isEqualTo(2);
        assertThat(log.term(3)).isEqualTo(RaftLog.UNAVAILABLE);
        assertThat(log.matchTerm(0, 0)).isTrue();
        assertThat(log.matchTerm(2, 2)).isTrue();
        assertThat(log.matchTerm(2, 1)).isFalse();
        assertThat(log.matchTerm(3, 2)).isFalse();
    }

    @Test
    void upToDateComparesLastTermThenLength() {
        // Reference: section 5.4.1.
        RaftLog log = new RaftLog(store(1, 1, 2), 0, 0);
        assertThat(log.isUpToDate(3, 2)).isTrue();
        assertThat(log.isUpToDate(9, 2)).isTrue();
        assertThat(log.isUpToDate(1, 3)).isTrue();
        assertThat(log.isUpToDate(2, 2)).isFalse();
        assertThat(log.isUpToDate(9, 1)).isFalse();
    }

    @Test
    void truncatingIntoTheStoredLogReadsTheReplacementFromMemory() {
        // Reference: section 5.3 — the conflicting suffix is replaced. Until the driver persists
        // the replacement (truncating the store first), the store still holds the stale entries;
        // the log must never read them.
        InMemoryLogStore s = store(1, 1, 1, 1, 1);
        RaftLog log = new RaftLog(s, 0, 0);
        log.truncateAfter(3);
        log.append(List.of(command(4, 2)));
        assertThat(log.lastIndex()).isEqualTo(4);
        assertThat(log.term(4)).isEqualTo(2);
        assertThat(log.term(5)).isEqualTo(RaftLog.UNAVAILABLE);
        assertThat(log.entry(4)).get().extracting(LogEntry::term).isEqualTo(2L);
        assertThat(log.entries(2, 5, Long.MAX_VALUE)).extracting(LogEntry::term).containsExactly(1L, 1L, 2L);
        assertThat(log.takeEntriesToPersist()).extracting(LogEntry::index).containsExactly(4L);
    }

    @Test
    void persistAcknowledgementOfAReplacedEntryIsIgnored() {
        // A Ready taken before a truncation reports entries that are no longer in the log.
        RaftLog log = new RaftLog(store(1), 0, 0);
        log.append(List.of(command(2, 1), command(3, 1)));
        log.truncateAfter(1);
        log.append(List.of(command(2, 2)));
        log.stableTo(3, 1);
        assertThat(log.stableLastIndex()).isEqualTo(1);
        log.stableTo(2, 1);
        assertThat(log.stableLastIndex()).as("term differs: not the entry that was persisted").isEqualTo(1);
        assertThat(log.takeEntriesToPersist()).extracting(LogEntry::index).containsExactly(2L);
    }

    @Test
    void entriesAreBoundedByBytesButAlwaysAtLeastOne() {
        InMemoryLogStore s = new InMemoryLogStore();
        for (int i = 1; i <= 4; i++) {
            s.storeLogs(List.of(new LogEntry(i, 1, LogType.COMMAND, new byte[100])));
        }
        RaftLog log = new RaftLog(s, 0, 0);
        log.append(List.of(new LogEntry(5, 1, LogType.COMMAND, new byte[100])));
        assertThat(log.entries(1, 5, 1)).hasSize(1);
        assertThat(log.entries(1, 5, 250)).hasSizeBetween(2, 3);
        assertThat(log.entries(4, 5, 150)).extracting(LogEntry::index).containsExactly(4L);
        assertThat(log.entries(4, 5, 1000)).extracting(LogEntry::index).containsExactly(4L, 5L);
        assertThat(log.entries(6, 9, 1000)).isEmpty();
    }

    @Test
    void compactedEntriesAreUnavailableButTheSnapshotTermIsKnown() {
        // Reference: section 7 — after compaction the log keeps "the last included index and
        // term" for the consistency check of the first entry after the snapshot.
        RaftLog log = new RaftLog(store(1, 1, 2, 2, 2), 0, 0);
        log.compactedTo(4, 2, 4);
        assertThat(log.snapshotIndex()).isEqualTo(4);
        assertThat(log.firstIndex()).isEqualTo(4);
        assertThat(log.term(3)).isEqualTo(RaftLog.UNAVAILABLE);
        assertThat(log.term(4)).isEqualTo(2);
        assertThat(log.entries(2, 5, Long.MAX_VALUE)).isEmpty();
    }

    @Test
    void restoreKeepsTheSuffixOnlyWhenTheLogHasTheSnapshotsLastEntry() {
        // Reference: section 7 / Figure 13, InstallSnapshot receiver steps 6 and 7.
        RaftLog keep = new RaftLog(store(1, 1, 2, 2, 2), 0, 0);
        assertThat(keep.restore(3, 2)).isFalse();
        assertThat(keep.lastIndex()).isEqualTo(5);
        assertThat(keep.snapshotIndex()).isEqualTo(3);

        RaftLog conflict = new RaftLog(store(1, 1, 2, 2, 2), 0, 0);
        assertThat(conflict.restore(3, 3)).isTrue();
        assertThat(conflict.lastIndex()).isEqualTo(3);
        assertThat(conflict.lastTerm()).isEqualTo(3);
        assertThat(conflict.firstIndex()).isEqualTo(4);

        RaftLog shorter = new RaftLog(store(1, 1), 0, 0);
        assertThat(shorter.restore(7, 2)).isTrue();
        assertThat(shorter.lastIndex()).isEqualTo(7);
        assertThat(shorter.term(7)).isEqualTo(2);
    }

    @Test
    void aLogStartingFromASnapshotBeginsAfterIt() {
        InMemoryLogStore empty = new InMemoryLogStore();
        RaftLog log = new RaftLog(empty, 10, 3);
        assertThat(log.lastIndex()).isEqualTo(10);
        assertThat(log.lastTerm()).isEqualTo(3);
        assertThat(log.firstIndex()).isEqualTo(11);
        log.append(List.of(command(11, 4)));
        assertThat(log.term(11)).isEqualTo(4);
    }
}
