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
    void snapshotsCarryTheTokens() throws IOException {
        KvStateMachine plain = new KvStateMachine();
        plain.applyBatch(List.of(put(1, "a", "1"), put(2, "b", "2")));
        byte[] without = persist(plain);
        assertThat(java.nio.ByteBuffer.wrap(without).getShort(8)).isEqualTo((short) KvSnapshotCodec.VERSION);

        KvStateMachine withAcl = new KvStateMachine();
        withAcl.applyBatch(List.of(put(1, "a", "1"), acl(2, create("t1", "s1")), acl(3, create("t2", "s2"))));
        byte[] with = persist(withAcl);
        assertThat(java.nio.ByteBuffer.wrap(with).getShort(8)).isEqualTo((short) KvSnapshotCodec.VERSION);
        assertThat(new String(with, java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain("s1");

        KvStateMachine restored = new KvStateMachine();
        restored.restore(new ByteArrayInputStream(with));
        assertThat(restored.acl()).isEqualTo(withAcl.acl());
        assertThat(restored.get("a")).isPresent();
        assertThat(restored.appliedIndex()).isEqualTo(3);

        // A snapshot without tokens restores with none, replacing the table.
        restored.restore(new ByteArrayInputStream(without));
        assertThat(restored.acl().size()).isZero();
        assertThat(restored.get("b")).isPresent();
        assertThat(KvSnapshotValidator.validate(new ByteArrayInputStream(with), with.length).entries()).isEqualTo(1);
    }

    @Test
    void aVersionTwoSnapshot_writtenByTheAclCodeBeforeCoordination_stillLoads() throws IOException {
        // Written by main at 9898f71 (KvStateMachine with two tokens and four puts): version 2,
        // the records of version 1 followed by the untagged ACL section.
        byte[] v2 = fixture("/kv/snapshot-v2-acl.bin");
        assertThat(java.nio.ByteBuffer.wrap(v2).getShort(8)).isEqualTo((short) 2);
        KvStateMachine restored = new KvStateMachine();
        restored.restore(new ByteArrayInputStream(v2));
        assertThat(restored.appliedIndex()).isEqualTo(6);
        assertThat(restored.acl().size()).isEqualTo(2);
        AclToken reader = restored.acl().bySecretHash(TokenSecrets.hash("reader-secret")).orElseThrow();
        assertThat(reader.accessorId()).isEqualTo("reader-1");
        assertThat(reader.createIndex()).isEqualTo(2);
        assertThat(reader.rules()).isEqualTo(new AclRules(List.of(new KeyRule("app/", KeyAccess.READ)), OperatorAccess.NONE));
        assertThat(restored.acl().bySecretHash(TokenSecrets.hash("writer-secret"))).map(AclToken::createIndex).contains(4L);
        assertThat(restored.get("config/a")).contains(new KvEntry("config/a", "alpha2".getBytes(
                java.nio.charset.StandardCharsets.UTF_8), 1, 5));
        assertThat(restored.state().size()).isEqualTo(3);
        assertThat(restored.state().sessions()).isEmpty();

        // What it loads into is written back as version 3 and reads back the same.
        byte[] v3 = persist(restored);
        assertThat(java.nio.ByteBuffer.wrap(v3).getShort(8)).isEqualTo((short) KvSnapshotCodec.VERSION);
        KvStateMachine again = new KvStateMachine();
        again.restore(new ByteArrayInputStream(v3));
        assertThat(again.acl()).isEqualTo(restored.acl());
        assertThat(again.state().entries().get("z")).isEqualTo(restored.state().entries().get("z"));
    }

    @Test
    void aCorruptAclSectionIsRefusedAndTheStateKept() throws IOException {
        KvStateMachine withAcl = new KvStateMachine();
        withAcl.applyBatch(List.of(acl(1, create("t1", "s1"))));
        byte[] good = persist(withAcl);
        // A version-2 header (checksum made right) over a version-1 body: the ACL section is missing.
        byte[] body = fixture("/kv/snapshot-v1.bin");
        java.nio.ByteBuffer header = java.nio.ByteBuffer.wrap(body);
        header.putShort(8, (short) 2);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(body, 0, 26);
        header.putInt(26, (int) crc.getValue());
        KvStateMachine target = new KvStateMachine();
        target.restore(new ByteArrayInputStream(good));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> target.restore(new ByteArrayInputStream(body)))
                .isInstanceOf(CorruptSnapshotException.class);
        assertThat(target.acl().size()).isEqualTo(1);
    }

    private static byte[] fixture(String resource) throws IOException {
        try (java.io.InputStream in = KvStateMachineAclTest.class.getResourceAsStream(resource)) {
            return in.readAllBytes();
        }
    }
}
