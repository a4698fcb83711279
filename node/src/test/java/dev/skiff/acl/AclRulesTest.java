package dev.skiff.acl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class AclRulesTest {

    private static AclRules rules(KeyRule... rules) {
        return new AclRules(List.of(rules), OperatorAccess.NONE);
    }

    private static KeyRule rule(String prefix, KeyAccess access) {
        return new KeyRule(prefix, access);
    }

    @Test
    void aKeyNoRuleCoversIsDenied() {
        AclRules r = rules(rule("app/", KeyAccess.WRITE));
        assertThat(r.accessTo("other/x")).isEqualTo(KeyAccess.DENY);
        assertThat(r.mayRead("ap")).isFalse();
        assertThat(rules().mayRead("anything")).isFalse();
    }

    @Test
    void theLongestMatchingPrefixDecidesWhateverTheOrder() {
        AclRules r = rules(rule("app/secret/", KeyAccess.DENY), rule("", KeyAccess.READ), rule("app/", KeyAccess.WRITE));
        assertThat(r.accessTo("app/x")).isEqualTo(KeyAccess.WRITE);
        assertThat(r.accessTo("app/secret/x")).isEqualTo(KeyAccess.DENY);
        assertThat(r.accessTo("app/secretive")).isEqualTo(KeyAccess.WRITE);
        assertThat(r.accessTo("zzz")).isEqualTo(KeyAccess.READ);
        // A longer read rule narrows a shorter write rule.
        AclRules narrowed = rules(rule("app/", KeyAccess.WRITE), rule("app/config", KeyAccess.READ));
        assertThat(narrowed.mayWrite("app/config/db")).isFalse();
        assertThat(narrowed.mayRead("app/config/db")).isTrue();
    }

    @Test
    void atEqualLengthDenyWinsThenWrite() {
        assertThat(rules(rule("app/", KeyAccess.WRITE), rule("app/", KeyAccess.DENY)).accessTo("app/x"))
                .isEqualTo(KeyAccess.DENY);
        assertThat(rules(rule("app/", KeyAccess.DENY), rule("app/", KeyAccess.READ)).accessTo("app/x"))
                .isEqualTo(KeyAccess.DENY);
        assertThat(rules(rule("app/", KeyAccess.READ), rule("app/", KeyAccess.WRITE)).accessTo("app/x"))
                .isEqualTo(KeyAccess.WRITE);
        assertThat(rules(rule("app/", KeyAccess.WRITE), rule("app/", KeyAccess.READ)).accessTo("app/x"))
                .isEqualTo(KeyAccess.WRITE);
    }

    @Test
    void aPrefixIsWritableOnlyWhenNoLongerRuleUnderItSaysLess() {
        AclRules r = rules(rule("app/", KeyAccess.WRITE), rule("app/locked/", KeyAccess.READ), rule("", KeyAccess.READ));
        assertThat(r.mayWritePrefix("app/free/")).isTrue();
        assertThat(r.mayWritePrefix("app/")).as("app/locked/ under it is read-only").isFalse();
        assertThat(r.mayWritePrefix("app/locked/")).isFalse();
        assertThat(r.mayWritePrefix("")).isFalse();
        assertThat(r.mayWritePrefix("other/")).isFalse();
        assertThat(rules(rule("app/", KeyAccess.WRITE), rule("app/x", KeyAccess.WRITE)).mayWritePrefix("app/")).isTrue();
        assertThat(rules(rule("app/", KeyAccess.WRITE), rule("app/x", KeyAccess.DENY)).mayWritePrefix("app/")).isFalse();
        assertThat(AclRules.MANAGEMENT.mayWritePrefix("")).isTrue();
    }

    @Test
    void writeImpliesReadAndTheEmptyPrefixCoversEveryKey() {
        AclRules r = rules(rule("", KeyAccess.WRITE));
        assertThat(r.mayRead("a")).isTrue();
        assertThat(r.mayWrite("ü/ключ")).isTrue();
        assertThat(AclRules.MANAGEMENT.mayWrite("x")).isTrue();
        assertThat(AclRules.MANAGEMENT.operator()).isEqualTo(OperatorAccess.WRITE);
    }

    @Test
    void operatorWriteCoversReadButNotTheOtherWayRound() {
        assertThat(OperatorAccess.WRITE.covers(OperatorAccess.READ)).isTrue();
        assertThat(OperatorAccess.READ.covers(OperatorAccess.WRITE)).isFalse();
        assertThat(OperatorAccess.NONE.covers(OperatorAccess.READ)).isFalse();
        assertThat(OperatorAccess.NONE.covers(OperatorAccess.NONE)).isTrue();
    }

    @Test
    void badRulesAreRefusedNamingTheProblem() {
        assertThatThrownBy(() -> KeyAccess.parse("admin")).hasMessageContaining("\"read\", \"write\" or \"deny\"");
        assertThatThrownBy(() -> OperatorAccess.parse("all")).hasMessageContaining("\"none\", \"read\" or \"write\"");
        assertThatThrownBy(() -> new KeyRule("x".repeat(1025), KeyAccess.READ)).hasMessageContaining("1024 bytes");
        assertThatThrownBy(() -> new KeyRule("\ud800", KeyAccess.READ)).hasMessageContaining("unpaired surrogate");
        assertThatThrownBy(() -> new AclRules(java.util.Collections.nCopies(257, rule("a", KeyAccess.READ)),
                OperatorAccess.NONE)).hasMessageContaining("at most 256");
    }

    @Test
    void secretsAreHashedAndCheckedForShape() {
        String s = TokenSecrets.newSecret();
        assertThat(s).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        assertThat(TokenSecrets.newSecret()).isNotEqualTo(s);
        assertThat(TokenSecrets.hash(s)).hasSize(32).isEqualTo(TokenSecrets.hash(s));
        assertThat(TokenSecrets.sameHash(TokenSecrets.hash(s), TokenSecrets.hash(s + "x"))).isFalse();
        assertThat(TokenSecrets.problem(s)).isNull();
        assertThat(TokenSecrets.problem("")).isNotNull();
        assertThat(TokenSecrets.problem("with space")).contains("position 5").doesNotContain("with");
        assertThat(TokenSecrets.problem("x".repeat(257))).contains("256");
    }
}
