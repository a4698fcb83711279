package dev.skiff.kv;

import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static dev.skiff.kv.KvFixtures.bytes;
import static dev.skiff.kv.KvFixtures.delete;
import static dev.skiff.kv.KvFixtures.deleteCas;
import static dev.skiff.kv.KvFixtures.put;
import static dev.skiff.kv.KvFixtures.putCas;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KvStateMachineTest {

    private final KvStateMachine fsm = new KvStateMachine();

    @Test
    void when_putNewKey_then_createAndModifyIndexAreTheEntryIndex() {
        assertThat(fsm.apply(put(5, "a", "one"))).isEqualTo(new KvResult.Written(5));
        assertThat(fsm.get("a")).contains(new KvEntry("a", bytes("one"), 5, 5));
        assertThat(fsm.appliedIndex()).isEqualTo(5);
    }

    @Test
    void when_putExistingKey_then_createIndexKeptAndModifyIndexMoves() {
        fsm.apply(put(1, "a", "one"));
        assertThat(fsm.apply(put(2, "a", "two"))).isEqualTo(new KvResult.Written(2));
        assertThat(fsm.get("a")).contains(new KvEntry("a", bytes("two"), 1, 2));
    }

    @Test
    void when_casZeroOnAbsentKey_then_created() {
        assertThat(fsm.apply(putCas(1, "a", "one", 0))).isEqualTo(new KvResult.Written(1));
        assertThat(fsm.get("a")).contains(new KvEntry("a", bytes("one"), 1, 1));
    }

    @Test
    void when_casZeroOnPresentKey_then_casFailedWithCurrentModifyIndexAndNoChange() {
        fsm.apply(put(1, "a", "one"));
        fsm.apply(put(2, "a", "two"));
        assertThat(fsm.apply(putCas(3, "a", "three", 0))).isEqualTo(new KvResult.CasFailed(2));
        assertThat(fsm.get("a")).contains(new KvEntry("a", bytes("two"), 1, 2));
        assertThat(fsm.appliedIndex()).isEqualTo(3);
    }

    @Test
    void when_casMatchesModifyIndex_then_written() {
        fsm.apply(put(1, "a", "one"));
        fsm.apply(put(2, "b", "x"));
        assertThat(fsm.apply(putCas(3, "a", "two", 1))).isEqualTo(new KvResult.Written(3));
        assertThat(fsm.get("a")).contains(new KvEntry("a", bytes("two"), 1, 3));
    }

    @Test
    void when_casMismatch_then_casFailedWithCurrentModifyIndex() {
        fsm.apply(put(1, "a", "one"));
        fsm.apply(put(2, "a", "two"));
        assertThat(fsm.apply(putCas(3, "a", "three", 1))).isEqualTo(new KvResult.CasFailed(2));
        assertThat(fsm.get("a").orElseThrow().value()).isEqualTo(bytes("two"));
    }

    @Test
    void when_casNonZeroOnAbsentKey_then_casFailedWithZero() {
        assertThat(fsm.apply(putCas(1, "a", "one", 7))).isEqualTo(new KvResult.CasFailed(0));
        assertThat(fsm.get("a")).isEmpty();
    }

    @Test
    void when_deletePresentKey_then_deletedAndGone() {
        fsm.apply(put(1, "a", "one"));
        assertThat(fsm.apply(delete(2, "a"))).isEqualTo(new KvResult.Deleted(2, true));
        assertThat(fsm.get("a")).isEmpty();
        assertThat(fsm.state().size()).isZero();
    }

    @Test
    void when_deleteAbsentKey_then_deletedFalseAndIndexConsumed() {
        assertThat(fsm.apply(delete(4, "nope"))).isEqualTo(new KvResult.Deleted(4, false));
        assertThat(fsm.appliedIndex()).isEqualTo(4);
    }

    @Test
    void when_deleteWithCas_then_onlyOnMatchingModifyIndex() {
        fsm.apply(put(1, "a", "one"));
        assertThat(fsm.apply(deleteCas(2, "a", 9))).isEqualTo(new KvResult.CasFailed(1));
        assertThat(fsm.get("a")).isPresent();
        assertThat(fsm.apply(deleteCas(3, "a", 0))).isEqualTo(new KvResult.CasFailed(1));
        assertThat(fsm.apply(deleteCas(4, "a", 1))).isEqualTo(new KvResult.Deleted(4, true));
        assertThat(fsm.get("a")).isEmpty();
        assertThat(fsm.apply(deleteCas(5, "a", 0))).isEqualTo(new KvResult.Deleted(5, false));
        assertThat(fsm.apply(deleteCas(6, "a", 4))).isEqualTo(new KvResult.CasFailed(0));
    }

    @Test
    void when_keyRecreatedAfterDelete_then_newCreateIndex() {
        fsm.apply(put(1, "a", "one"));
        fsm.apply(delete(2, "a"));
        fsm.apply(put(3, "a", "again"));
        assertThat(fsm.get("a")).contains(new KvEntry("a", bytes("again"), 3, 3));
    }

    @Test
    void when_commandBytesAreGarbage_then_rejectedIndexConsumedAndStateUnchanged() {
        fsm.apply(put(1, "a", "one"));
        Object result = fsm.apply(new LogEntry(2, 1, LogType.COMMAND, new byte[] {9, 9, 9}));
        assertThat(result).isInstanceOfSatisfying(KvResult.Rejected.class,
                r -> assertThat(r.reason()).contains("entry 2").contains("unknown version 9"));
        assertThat(fsm.appliedIndex()).isEqualTo(2);
        assertThat(KvFixtures.contents(fsm.state())).containsExactly(new KvEntry("a", bytes("one"), 1, 1));
    }

    @Test
    void when_aUserSnapshotFromALongerLogIsRestored_then_everyKeyReadsAsWrittenByTheRestoreEntry() throws Exception {
        KvStateMachine source = new KvStateMachine();
        source.apply(put(3, "early", "e"));
        source.apply(put(900, "late", "l"));
        var bytes = new java.io.ByteArrayOutputStream();
        source.snapshot().persist(bytes);
        fsm.apply(put(1, "gone", "x"));

        fsm.applyRestore(new LogEntry(10, 2, LogType.RESTORE, bytes.toByteArray()));

        assertThat(KvFixtures.contents(fsm.state())).containsExactly(new KvEntry("early", bytes("e"), 3, 10),
                new KvEntry("late", bytes("l"), 10, 10));
        assertThat(fsm.appliedIndex()).isEqualTo(10);
        assertThat(fsm.apply(put(11, "late", "after"))).isEqualTo(new KvResult.Written(11));
    }

    @Test
    void when_aRestoreEntryIsNotASnapshot_then_refusedAndStateUnchanged() {
        fsm.apply(put(1, "a", "one"));
        assertThatThrownBy(() -> fsm.applyRestore(new LogEntry(2, 1, LogType.RESTORE, new byte[] {1, 2, 3})))
                .isInstanceOf(java.io.IOException.class);
        assertThat(fsm.appliedIndex()).isEqualTo(1);
        assertThat(KvFixtures.contents(fsm.state())).containsExactly(new KvEntry("a", bytes("one"), 1, 1));
        assertThat(fsm.apply(put(3, "b", "two"))).isEqualTo(new KvResult.Written(3));
    }

    @Test
    void when_entryIsNotACommandOrOutOfOrder_then_rejectedWithoutChange() {
        fsm.apply(put(5, "a", "one"));
        assertThat(fsm.apply(LogEntry.of(6, 1, LogType.NOOP))).isInstanceOf(KvResult.Rejected.class);
        assertThat(fsm.apply(put(5, "a", "replayed"))).isInstanceOfSatisfying(KvResult.Rejected.class,
                r -> assertThat(r.reason()).contains("not after the applied index 5"));
        assertThat(fsm.appliedIndex()).isEqualTo(5);
        assertThat(fsm.get("a").orElseThrow().value()).isEqualTo(bytes("one"));
    }

    @Test
    void when_batchApplied_then_sameResultsAndStateAsOneByOne() {
        List<LogEntry> entries = KvFixtures.randomCommands(new Random(3), 1, 5_000, 50);
        KvStateMachine oneByOne = new KvStateMachine();
        List<Object> expected = new ArrayList<>();
        for (LogEntry e : entries) {
            expected.add(oneByOne.apply(e));
        }
        KvStateMachine batched = new KvStateMachine();
        List<Object> actual = new ArrayList<>();
        Random sizes = new Random(4);
        for (int i = 0; i < entries.size(); ) {
            int n = Math.min(entries.size() - i, 1 + sizes.nextInt(100));
            actual.addAll(batched.applyBatch(entries.subList(i, i + n)));
            i += n;
        }
        assertThat(actual).isEqualTo(expected);
        assertThat(expected).hasAtLeastOneElementOfType(KvResult.CasFailed.class)
                .hasAtLeastOneElementOfType(KvResult.Deleted.class);
        assertThat(KvFixtures.contents(batched.state())).isEqualTo(KvFixtures.contents(oneByOne.state()));
        assertThat(batched.appliedIndex()).isEqualTo(oneByOne.appliedIndex()).isEqualTo(5_000);
    }

    @Test
    void when_readingFromAnotherThread_then_batchesAreSeenWholeAndIndexMatchesState() throws Exception {
        // Each batch writes the same value to "x" and "y"; a reader must never see them differ,
        // and a state's applied index must be the modifyIndex of "y", written last.
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> violation = new AtomicReference<>();
        AtomicLong reads = new AtomicLong();
        Thread reader = Thread.ofPlatform().start(() -> {
            while (!done.get() && violation.get() == null) {
                KvState s = fsm.state();
                var x = s.get("x");
                var y = s.get("y");
                if (x.isPresent() != y.isPresent()
                        || (x.isPresent() && !java.util.Arrays.equals(x.get().value(), y.get().value()))
                        || (y.isPresent() && y.get().modifyIndex() != s.appliedIndex())) {
                    violation.set("torn read at applied index " + s.appliedIndex());
                }
                reads.incrementAndGet();
            }
        });
        long index = 1;
        for (int batch = 0; batch < 20_000; batch++) {
            String v = "v" + batch;
            fsm.applyBatch(List.of(put(index++, "x", v), put(index++, "y", v)));
        }
        done.set(true);
        reader.join();
        assertThat(violation.get()).isNull();
        assertThat(reads.get()).isPositive();
    }

    @Test
    void when_invalidKeyRead_then_clearError() {
        assertThatThrownBy(() -> fsm.get("")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
    }
}
