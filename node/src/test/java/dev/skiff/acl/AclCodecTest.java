package dev.skiff.acl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AclCodecTest {

    static AclToken token(String id, String secret, long createIndex, KeyRule... rules) {
        return new AclToken(id, TokenSecrets.hash(secret), "for " + id + " — ünïcode",
                new AclRules(List.of(rules), OperatorAccess.READ), createIndex);
    }

    @Test
    void commandsRoundTrip() {
        AclCommand create = new AclCommand.CreateToken(token("a-1", "secret-1", 0, new KeyRule("app/", KeyAccess.READ),
                new KeyRule("", KeyAccess.DENY), new KeyRule("é/", KeyAccess.WRITE)));
        assertThat(AclCommandCodec.decode(AclCommandCodec.encode(create))).isEqualTo(create);
        AclCommand delete = new AclCommand.DeleteToken("a-1");
        assertThat(AclCommandCodec.decode(AclCommandCodec.encode(delete))).isEqualTo(delete);
        assertThat(AclCommandCodec.isAclCommand(AclCommandCodec.encode(delete))).isTrue();
        assertThat(AclCommandCodec.isAclCommand(dev.skiff.kv.KvCommandCodec.encode(dev.skiff.kv.KvCommand.Delete.of("k"))))
                .isFalse();
    }

    @Test
    void stateRoundTrips() {
        AclState state = AclState.of(List.of(token("b", "s-b", 7), token("a", "s-a", 5, new KeyRule("x", KeyAccess.WRITE))));
        AclState back = AclStateCodec.decode(AclStateCodec.encode(state));
        assertThat(back).isEqualTo(state);
        assertThat(back.tokens()).extracting(AclToken::accessorId).containsExactly("a", "b");
        assertThat(back.bySecretHash(TokenSecrets.hash("s-b"))).map(AclToken::createIndex).contains(7L);
        assertThat(AclStateCodec.decode(AclStateCodec.encode(AclState.empty()))).isEqualTo(AclState.empty());
    }

    @Test
    void badBytesAreRefusedWithAnOffsetNeverAnotherException() {
        byte[] good = AclCommandCodec.encode(new AclCommand.CreateToken(token("a", "s", 0, new KeyRule("p", KeyAccess.READ))));
        assertThatThrownBy(() -> AclCommandCodec.decode(java.util.Arrays.copyOf(good, good.length - 1)))
                .hasMessageContaining("byte offset");
        byte[] trailing = java.util.Arrays.copyOf(good, good.length + 1);
        assertThatThrownBy(() -> AclCommandCodec.decode(trailing)).hasMessageContaining("1 trailing bytes");
        byte[] version = good.clone();
        version[1] = 9;
        assertThatThrownBy(() -> AclCommandCodec.decode(version)).hasMessageContaining("unknown version 9");
        Random random = new Random(13);
        for (int i = 0; i < 20_000; i++) {
            byte[] fuzzed = good.clone();
            int flips = 1 + random.nextInt(3);
            for (int f = 0; f < flips; f++) {
                fuzzed[1 + random.nextInt(fuzzed.length - 1)] = (byte) random.nextInt(256);
            }
            byte[] cut = random.nextInt(4) == 0 ? java.util.Arrays.copyOf(fuzzed, random.nextInt(fuzzed.length)) : fuzzed;
            try {
                AclCommandCodec.decode(cut);
            } catch (IllegalArgumentException expected) {
                assertThat(expected.getMessage()).startsWith("bad ACL command at byte offset");
            }
            try {
                AclStateCodec.decode(cut);
            } catch (IllegalArgumentException expected) {
                assertThat(expected.getMessage()).isNotBlank();
            }
        }
    }

    @Test
    void theTableRefusesDuplicatesAndKeepsNoSecret() {
        AclState one = AclState.empty().apply(new AclCommand.CreateToken(token("a", "s1", 0)), 3).state();
        assertThat(one.byAccessorId("a")).map(AclToken::createIndex).contains(3L);
        AclState.Applied sameId = one.apply(new AclCommand.CreateToken(token("a", "s2", 0)), 4);
        assertThat(sameId.result()).isInstanceOf(AclResult.Refused.class);
        assertThat(sameId.state()).isSameAs(one);
        AclState.Applied sameSecret = one.apply(new AclCommand.CreateToken(token("b", "s1", 0)), 5);
        assertThat(sameSecret.result()).isInstanceOf(AclResult.Refused.class);
        assertThat(((AclResult.Refused) sameSecret.result()).reason()).doesNotContain("s1");
        AclState.Applied deleted = one.apply(new AclCommand.DeleteToken("a"), 6);
        assertThat(deleted.result()).isEqualTo(new AclResult.Deleted(6, true));
        assertThat(deleted.state().bySecretHash(TokenSecrets.hash("s1"))).isEmpty();
        assertThat(deleted.state().apply(new AclCommand.DeleteToken("a"), 7).result()).isEqualTo(new AclResult.Deleted(7, false));
        assertThat(one.toString()).doesNotContain(TokenSecrets.hex(TokenSecrets.hash("s1")));
    }
}
