package dev.skiff.kv;

import static dev.skiff.kv.KvFixtures.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Sessions, locks, transactions and recursive delete in the state machine (API.md §8). */
class CoordinationStateMachineTest {

    private final KvStateMachine fsm = new KvStateMachine();
    private long index = 10;

    private KvResult apply(CoordinationCommand command) {
        byte[] data = CoordinationCodec.encode(command);
        assertThat(CoordinationCodec.decode(data)).isEqualTo(command);
        return (KvResult) fsm.apply(new LogEntry(++index, 1, LogType.COMMAND, data));
    }

    private KvResult.TxnDone txn(long now, TxnOp... ops) {
        return (KvResult.TxnDone) apply(CoordinationCommand.Txn.of(List.of(ops), now));
    }

    private void session(String id, Session.Behavior behavior, long lockDelayMillis) {
        assertThat(apply(new CoordinationCommand.SessionCreate(new Session(id, "n", "", 10_000, lockDelayMillis, behavior, 0))))
                .isInstanceOf(KvResult.SessionCreated.class);
    }

    private static TxnOp op(TxnOp.Verb verb, String key, String value, long index, String session) {
        return new TxnOp(verb, key, bytes(value), 7, index, session);
    }

    /**
     * A transaction without a lock acquisition reads no clock: the same commands stamped with
     * any two clocks leave the same answers and the same state, lock delays included. Followers
     * propose such transactions with their own clock (api.CoordinationWrites), so this must hold
     * for every verb but LOCK; a new verb fails the coverage check until it is added here.
     */
    @Test
    void txn_withoutALockAcquisition_readsNoClock() throws IOException {
        KvStateMachine early = new KvStateMachine();
        KvStateMachine late = new KvStateMachine();
        List<TxnOp> ops = List.of(op(TxnOp.Verb.SET, "t/a", "1", 0, ""), op(TxnOp.Verb.CAS, "t/a", "2", 12, ""),
                op(TxnOp.Verb.UNLOCK, "t/held", "", 0, "s1"), op(TxnOp.Verb.GET, "t/a", "", 0, ""),
                TxnOp.of(TxnOp.Verb.GET_TREE, "t/"), op(TxnOp.Verb.CHECK_INDEX, "t/a", "", 13, ""),
                op(TxnOp.Verb.CHECK_SESSION, "t/held", "", 0, "s1"), TxnOp.of(TxnOp.Verb.CHECK_NOT_EXISTS, "t/none"),
                TxnOp.of(TxnOp.Verb.CHECK_EXISTS, "t/a"), op(TxnOp.Verb.CHECK_VALUE, "t/a", "2", 0, ""),
                TxnOp.of(TxnOp.Verb.DELETE, "t/a"), op(TxnOp.Verb.DELETE_CAS, "t/b", "", 1, ""),
                TxnOp.of(TxnOp.Verb.DELETE_TREE, "t/"));
        assertThat(ops).extracting(TxnOp::verb).containsExactlyInAnyOrderElementsOf(
                java.util.EnumSet.complementOf(java.util.EnumSet.of(TxnOp.Verb.LOCK)));
        List<CoordinationCommand> setup = List.of(
                new CoordinationCommand.SessionCreate(new Session("s1", "n", "", 10_000, 5_000, Session.Behavior.RELEASE, 0)),
                new CoordinationCommand.SessionCreate(new Session("s2", "n", "", 10_000, 5_000, Session.Behavior.RELEASE, 0)),
                CoordinationCommand.Txn.of(List.of(op(TxnOp.Verb.LOCK, "t/held", "h", 0, "s1"),
                        op(TxnOp.Verb.LOCK, "t/delayed", "d", 0, "s2")), 1_000),
                new CoordinationCommand.SessionDestroy("s2", 2_000));
        long at = 10;
        for (CoordinationCommand c : setup) {
            at++;
            assertThat(applyTo(late, at, c)).isEqualTo(applyTo(early, at, c));
        }
        for (TxnOp op : ops) {
            at++;
            assertThat(applyTo(late, at, CoordinationCommand.Txn.of(List.of(op), Long.MAX_VALUE / 2)))
                    .as("%s", op.verb()).isEqualTo(applyTo(early, at, CoordinationCommand.Txn.of(List.of(op), 0)));
        }
        ByteArrayOutputStream a = new ByteArrayOutputStream();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        early.snapshot().persist(a);
        late.snapshot().persist(b);
        assertThat(b.toByteArray()).isEqualTo(a.toByteArray());
    }

    private static Object applyTo(KvStateMachine fsm, long index, CoordinationCommand command) {
        return fsm.apply(new LogEntry(index, 1, LogType.COMMAND, CoordinationCodec.encode(command)));
    }

    @Test
    void txn_appliesAllOrNothing() {
        txn(0, op(TxnOp.Verb.SET, "a", "1", 0, ""));
        long aIndex = fsm.get("a").orElseThrow().modifyIndex();
        KvResult.TxnDone failed = txn(0, op(TxnOp.Verb.SET, "b", "2", 0, ""), op(TxnOp.Verb.CAS, "a", "x", aIndex + 100, ""));
        assertThat(failed.applied()).isFalse();
        assertThat(failed.failedOp()).isEqualTo(1);
        assertThat(failed.error()).contains("modifyIndex " + aIndex);
        assertThat(fsm.get("b")).isEmpty();

        KvResult.TxnDone ok = txn(0, op(TxnOp.Verb.SET, "b", "2", 0, ""), op(TxnOp.Verb.CAS, "a", "x", aIndex, ""),
                TxnOp.of(TxnOp.Verb.GET_TREE, ""));
        assertThat(ok.applied()).isTrue();
        assertThat(ok.results()).hasSize(3);
        assertThat(ok.results().get(2).entries()).extracting(KvEntry::key).containsExactly("a", "b");
        KvEntry a = fsm.get("a").orElseThrow();
        assertThat(a.modifyIndex()).isEqualTo(ok.index());
        assertThat(a.createIndex()).isEqualTo(aIndex);
        assertThat(a.flags()).isEqualTo(7);
    }

    /**
     * A failed transaction in the middle of a batch rolls back to the state the batch's earlier
     * writes made: the batch reuses its own tree nodes in place, and the rollback point must not
     * be one of them.
     */
    @Test
    void txn_failedInTheMiddleOfABatch_rollsBackToTheBatchSoFar() {
        List<LogEntry> batch = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
            batch.add(KvFixtures.put(++index, "k" + i, "before"));
        }
        CoordinationCommand failing = CoordinationCommand.Txn.of(List.of(op(TxnOp.Verb.SET, "k3", "in-txn", 0, ""),
                op(TxnOp.Verb.SET, "k41", "in-txn", 0, ""), op(TxnOp.Verb.DELETE, "k7", "", 0, ""),
                op(TxnOp.Verb.CAS, "k0", "x", 1, "")), 0);
        batch.add(new LogEntry(++index, 1, LogType.COMMAND, CoordinationCodec.encode(failing)));
        batch.add(KvFixtures.put(++index, "k2", "after"));

        List<Object> results = fsm.applyBatch(batch);

        assertThat(((KvResult.TxnDone) results.get(40)).applied()).isFalse();
        assertThat(fsm.state().size()).isEqualTo(40);
        assertThat(fsm.get("k3").orElseThrow().value()).isEqualTo(bytes("before"));
        assertThat(fsm.get("k7")).isPresent();
        assertThat(fsm.get("k41")).isEmpty();
        assertThat(fsm.get("k2").orElseThrow().value()).isEqualTo(bytes("after"));
    }

    @Test
    void txn_comparesChooseTheBranch() {
        txn(0, op(TxnOp.Verb.SET, "k", "v", 0, ""));
        var cmd = new CoordinationCommand.Txn(List.of(op(TxnOp.Verb.CHECK_VALUE, "k", "other", 0, "")),
                List.of(op(TxnOp.Verb.SET, "won", "1", 0, "")), List.of(op(TxnOp.Verb.SET, "lost", "1", 0, "")), 0);
        KvResult.TxnDone done = (KvResult.TxnDone) apply(cmd);
        assertThat(done.succeeded()).isFalse();
        assertThat(fsm.get("lost")).isPresent();
        assertThat(fsm.get("won")).isEmpty();
    }

    @Test
    void locks_followConsulSemantics() {
        session("s1", Session.Behavior.RELEASE, 5_000);
        session("s2", Session.Behavior.RELEASE, 0);
        assertThat(txn(1000, op(TxnOp.Verb.LOCK, "lock", "me", 0, "s1")).applied()).isTrue();
        assertThat(fsm.get("lock").orElseThrow().lockIndex()).isEqualTo(1);
        assertThat(fsm.get("lock").orElseThrow().session()).isEqualTo("s1");
        assertThat(txn(1000, op(TxnOp.Verb.LOCK, "lock", "you", 0, "s2")).error()).contains("locked by another session");
        // The holder re-acquiring changes the value but not lockIndex; a plain set keeps the lock.
        assertThat(txn(1000, op(TxnOp.Verb.LOCK, "lock", "me2", 0, "s1")).applied()).isTrue();
        txn(1000, op(TxnOp.Verb.SET, "lock", "me3", 0, ""));
        assertThat(fsm.get("lock").orElseThrow().lockIndex()).isEqualTo(1);
        assertThat(fsm.get("lock").orElseThrow().session()).isEqualTo("s1");
        assertThat(txn(1000, op(TxnOp.Verb.UNLOCK, "lock", "x", 0, "s2")).applied()).isFalse();
        assertThat(txn(1000, op(TxnOp.Verb.UNLOCK, "lock", "free", 0, "s1")).applied()).isTrue();
        assertThat(fsm.get("lock").orElseThrow().session()).isNull();
        assertThat(txn(1000, op(TxnOp.Verb.LOCK, "lock", "you", 0, "s2")).applied()).isTrue();
        assertThat(fsm.get("lock").orElseThrow().lockIndex()).isEqualTo(2);
        assertThat(txn(1000, op(TxnOp.Verb.LOCK, "other", "x", 0, "missing")).error()).contains("does not exist");
    }

    @Test
    void invalidatedSession_releasesOrDeletes_andLockDelayHoldsOffOthers() {
        session("rel", Session.Behavior.RELEASE, 5_000);
        session("del", Session.Behavior.DELETE, 0);
        session("other", Session.Behavior.RELEASE, 0);
        txn(1000, op(TxnOp.Verb.LOCK, "a", "1", 0, "rel"));
        txn(1000, op(TxnOp.Verb.LOCK, "b", "1", 0, "del"));
        assertThat(apply(new CoordinationCommand.SessionDestroy("rel", 2000))).isEqualTo(new KvResult.SessionDestroyed(index, true));
        apply(new CoordinationCommand.SessionDestroy("del", 2000));
        assertThat(fsm.get("a").orElseThrow().session()).isNull();
        assertThat(fsm.get("a").orElseThrow().modifyIndex()).isEqualTo(index - 1);
        assertThat(fsm.get("b")).isEmpty();
        assertThat(fsm.state().session("rel")).isEmpty();
        assertThat(txn(6999, op(TxnOp.Verb.LOCK, "a", "2", 0, "other")).error()).contains("lock delay for 1 ms");
        assertThat(txn(7000, op(TxnOp.Verb.LOCK, "a", "2", 0, "other")).applied()).isTrue();
        assertThat(apply(new CoordinationCommand.SessionDestroy("rel", 8000))).isEqualTo(new KvResult.SessionDestroyed(index, false));
    }

    @Test
    void deleteTree_removesThePrefixOnly() {
        txn(0, op(TxnOp.Verb.SET, "app/a", "1", 0, ""), op(TxnOp.Verb.SET, "app/b", "1", 0, ""),
                op(TxnOp.Verb.SET, "apq", "1", 0, ""));
        KvResult.TxnDone done = txn(0, TxnOp.of(TxnOp.Verb.DELETE_TREE, "app/"));
        assertThat(done.results().get(0).deleted()).isEqualTo(2);
        assertThat(fsm.state().size()).isEqualTo(1);
        assertThat(fsm.state().kvIndex()).isEqualTo(done.index());
    }

    @Test
    void snapshot_carriesSessionsLocksFlagsAndDelays() throws IOException {
        session("s1", Session.Behavior.DELETE, 3_000);
        session("s2", Session.Behavior.RELEASE, 3_000);
        txn(1000, op(TxnOp.Verb.LOCK, "held", "v", 0, "s1"), op(TxnOp.Verb.LOCK, "gone", "v", 0, "s2"));
        apply(new CoordinationCommand.SessionDestroy("s2", 1500));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        fsm.snapshot().persist(out);
        KvStateMachine restored = new KvStateMachine();
        restored.restore(new ByteArrayInputStream(out.toByteArray()));
        assertThat(restored.get("held")).isEqualTo(fsm.get("held"));
        assertThat(restored.get("gone")).isEqualTo(fsm.get("gone"));
        assertThat(restored.state().sessions()).isEqualTo(fsm.state().sessions());
        assertThat(restored.state().kvIndex()).isEqualTo(fsm.state().kvIndex());
        assertThat(restored.state().coordination().lockDelays().get("gone")).isEqualTo(4500L);
    }

    @Test
    void snapshot_carriesCoordinationAndTokensTogether() throws IOException {
        session("s1", Session.Behavior.RELEASE, 0);
        txn(1000, op(TxnOp.Verb.LOCK, "held", "v", 0, "s1"));
        byte[] token = dev.skiff.acl.AclCommandCodec.encode(new dev.skiff.acl.AclCommand.CreateToken(
                new dev.skiff.acl.AclToken("t1", dev.skiff.acl.TokenSecrets.hash("secret"), "",
                        dev.skiff.acl.AclRules.MANAGEMENT, 0)));
        fsm.apply(new LogEntry(++index, 1, LogType.COMMAND, token));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        fsm.snapshot().persist(out);
        KvStateMachine restored = new KvStateMachine();
        restored.restore(new ByteArrayInputStream(out.toByteArray()));
        assertThat(restored.acl()).isEqualTo(fsm.acl());
        assertThat(restored.acl().size()).isEqualTo(1);
        assertThat(restored.state().sessions()).isEqualTo(fsm.state().sessions());
        assertThat(restored.get("held").orElseThrow().session()).isEqualTo("s1");
        assertThat(restored.state().kvIndex()).isEqualTo(fsm.state().kvIndex());
        assertThat(restored.appliedIndex()).isEqualTo(index);
    }

    @Test
    void aUserRestoreEntry_keepsLocksAndSessions_movesEveryIndexToItsOwn_andTellsTheWaiters() throws IOException {
        session("s1", Session.Behavior.RELEASE, 0);
        txn(1000, op(TxnOp.Verb.LOCK, "held", "v", 0, "s1"));
        ByteArrayOutputStream backup = new ByteArrayOutputStream();
        fsm.snapshot().persist(backup);

        KvStateMachine target = new KvStateMachine();
        List<KvState> published = new java.util.ArrayList<>();
        target.onChange(published::add);
        target.applyRestore(new LogEntry(5, 2, LogType.RESTORE, backup.toByteArray()));
        KvEntry held = target.get("held").orElseThrow();
        assertThat(held.session()).isEqualTo("s1");
        assertThat(held.lockIndex()).isEqualTo(1);
        assertThat(held.flags()).isEqualTo(7);
        assertThat(held.modifyIndex()).isEqualTo(5);
        assertThat(target.state().session("s1")).map(Session::createIndex).contains(5L);
        assertThat(target.state().kvIndex()).isEqualTo(5);
        assertThat(published).hasSize(1);
    }

    @Test
    void aCoordinationCommandStampedByTheLogArchiveApplies() {
        // With --log-archive every proposal carries the leader's clock before the command.
        byte[] stamped = CommitStamp.stamp(CoordinationCodec.encode(new CoordinationCommand.SessionCreate(
                new Session("s9", "n", "", 10_000, 0, Session.Behavior.RELEASE, 0))), 1_700_000_000_000L);
        assertThat(fsm.apply(new LogEntry(++index, 1, LogType.COMMAND, stamped))).isInstanceOf(KvResult.SessionCreated.class);
        assertThat(fsm.state().session("s9")).isPresent();
    }

    @Test
    void versionOneSnapshot_writtenByTheEarlierCode_stillLoads() throws IOException {
        KvStateMachine restored = new KvStateMachine();
        try (InputStream in = getClass().getResourceAsStream("/kv/snapshot-v1.bin")) {
            restored.restore(in);
        }
        assertThat(restored.appliedIndex()).isEqualTo(9);
        assertThat(restored.get("config/a")).contains(new KvEntry("config/a", bytes("alpha2"), 3, 7));
        assertThat(restored.get("z").orElseThrow().session()).isNull();
        assertThat(restored.state().sessions()).isEmpty();
        assertThat(restored.state().kvIndex()).isEqualTo(9);
    }

    @Test
    void codec_refusesGarbage() {
        assertThatThrownBy(() -> CoordinationCodec.decode(new byte[] {20, 9})).hasMessageContaining("unknown coordination op 9");
        byte[] good = CoordinationCodec.encode(new CoordinationCommand.SessionDestroy("x", 1));
        byte[] truncated = java.util.Arrays.copyOf(good, good.length - 1);
        assertThatThrownBy(() -> CoordinationCodec.decode(truncated)).hasMessageContaining("truncated");
        assertThat(fsm.apply(new LogEntry(1, 1, LogType.COMMAND, truncated))).isInstanceOf(KvResult.Rejected.class);
    }
}
