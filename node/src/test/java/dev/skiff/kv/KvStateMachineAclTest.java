package dev.skiff.kv;

import static dev.skiff.kv.KvFixtures.put;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.acl.AclCommand;
import dev.skiff.acl.AclCommandCodec;
import dev.skiff.acl.AclResult;
import dev.skiff.acl.AclRules;
import dev.skiff.acl.AclToken;
import dev.skiff.acl.KeyAccess;
import dev.skiff.acl.KeyRule;
import dev.skiff.acl.OperatorAccess;
import dev.skiff.acl.TokenSecrets;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The ACL commands as the KV state machine applies them, and the ACL section of its snapshots. */
class KvStateMachineAclTest {

    private static LogEntry acl(long index, AclCommand command) {
        return new LogEntry(index, 1, LogType.COMMAND, AclCommandCodec.encode(command));
    }

    private static AclCommand create(String id, String secret) {
        return new AclCommand.CreateToken(new AclToken(id, TokenSecrets.hash(secret), "d",
                new AclRules(List.of(new KeyRule("app/", KeyAccess.READ)), OperatorAccess.NONE), 0));
    }

    private static byte[] persist(KvStateMachine fsm) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        fsm.snapshot().persist(out);
        return out.toByteArray();
    }

    @Test
    void aclCommandsChangeTheTokenTableBesideTheKeys() {
        KvStateMachine fsm = new KvStateMachine();
        List<Object> results = fsm.applyBatch(List.of(put(1, "a", "1"), acl(2, create("t1", "s1")), put(3, "b", "2"),
                acl(4, create("t1", "other")), acl(5, new AclCommand.DeleteToken("nope"))));
        assertThat(results.get(1)).isEqualTo(new AclResult.Created(2, "t1"));
        assertThat(results.get(2)).isEqualTo(new KvResult.Written(3));
        assertThat(results.get(3)).isInstanceOf(AclResult.Refused.class);
        assertThat(results.get(4)).isEqualTo(new AclResult.Deleted(5, false));
        assertThat(fsm.acl().bySecretHash(TokenSecrets.hash("s1"))).map(AclToken::createIndex).contains(2L);
        assertThat(fsm.appliedIndex()).isEqualTo(5);
        assertThat(fsm.apply(acl(6, new AclCommand.DeleteToken("t1")))).isEqualTo(new AclResult.Deleted(6, true));
        assertThat(fsm.acl().size()).isZero();
        // Applying an entry twice stays refused for ACL entries too.
        assertThat(fsm.apply(acl(6, create("t2", "s2")))).isInstanceOf(KvResult.Rejected.class);
        assertThat(fsm.acl().size()).isZero();
    }

    @Test
    void anAclCommandStampedByTheLogArchiveApplies() {
        // With --log-archive every proposal carries the leader's clock before the command.
        KvStateMachine fsm = new KvStateMachine();
        byte[] stamped = CommitStamp.stamp(AclCommandCodec.encode(create("t1", "s1")), 1_700_000_000_000L);
        assertThat(fsm.apply(new LogEntry(1, 1, LogType.COMMAND, stamped))).isEqualTo(new AclResult.Created(1, "t1"));
        assertThat(fsm.acl().bySecretHash(TokenSecrets.hash("s1"))).isPresent();
    }

    @Test
    void aMalformedAclEntryIsRejectedAndChangesNothing() {
        KvStateMachine fsm = new KvStateMachine();
        byte[] bad = AclCommandCodec.encode(create("t1", "s1"));
        bad = java.util.Arrays.copyOf(bad, bad.length - 3);
        assertThat(fsm.apply(new LogEntry(1, 1, LogType.COMMAND, bad))).isInstanceOf(KvResult.Rejected.class);
        assertThat(fsm.acl().size()).isZero();
    }

    @Test
    void snapshotsCarryTheTokensAndStayVersionOneWithout() throws IOException {
        KvStateMachine plain = new KvStateMachine();
        plain.applyBatch(List.of(put(1, "a", "1"), put(2, "b", "2")));
        byte[] v1 = persist(plain);
        assertThat(java.nio.ByteBuffer.wrap(v1).getShort(8)).isEqualTo((short) 1);

        KvStateMachine withAcl = new KvStateMachine();
        withAcl.applyBatch(List.of(put(1, "a", "1"), acl(2, create("t1", "s1")), acl(3, create("t2", "s2"))));
        byte[] v2 = persist(withAcl);
        assertThat(java.nio.ByteBuffer.wrap(v2).getShort(8)).isEqualTo((short) 2);
        assertThat(new String(v2, java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain("s1");

        KvStateMachine restored = new KvStateMachine();
        restored.restore(new ByteArrayInputStream(v2));
        assertThat(restored.acl()).isEqualTo(withAcl.acl());
        assertThat(restored.get("a")).isPresent();
        assertThat(restored.appliedIndex()).isEqualTo(3);

        // A version-1 snapshot (what earlier versions wrote) restores with no tokens.
        restored.restore(new ByteArrayInputStream(v1));
        assertThat(restored.acl().size()).isZero();
        assertThat(restored.get("b")).isPresent();
        assertThat(KvSnapshotValidator.validate(new ByteArrayInputStream(v2), v2.length).entries()).isEqualTo(1);
    }

    @Test
    void aCorruptAclSectionIsRefusedAndTheStateKept() throws IOException {
        KvStateMachine withAcl = new KvStateMachine();
        withAcl.applyBatch(List.of(acl(1, create("t1", "s1"))));
        byte[] v2 = persist(withAcl);
        // A version-2 header over a version-1 body.
        byte[] body = persist(new KvStateMachine());
        java.nio.ByteBuffer.wrap(body).putShort(8, (short) 2);
        KvStateMachine target = new KvStateMachine();
        target.restore(new ByteArrayInputStream(v2));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> target.restore(new ByteArrayInputStream(body)))
                .isInstanceOf(CorruptSnapshotException.class);
        assertThat(target.acl().size()).isEqualTo(1);
    }
}
