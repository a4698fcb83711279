package dev.skiff.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterSecretTest {

    @Test
    void aFileAndAStringWithTheSameSecretProveTheSame(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("secret");
        Files.writeString(file, "s3cret-value\n");
        byte[] cn = ClusterSecret.newNonce();
        byte[] sn = ClusterSecret.newNonce();

        ClusterSecret fromFile = ClusterSecret.fromFile(file);
        ClusterSecret fromString = ClusterSecret.of("s3cret-value");

        assertThat(fromFile.diallerProof(cn, sn)).isEqualTo(fromString.diallerProof(cn, sn));
        assertThat(fromFile.session(cn, sn).mac(1, "POST", "/p", new byte[] {1}, 0, 1))
                .isEqualTo(fromString.session(cn, sn).mac(1, "POST", "/p", new byte[] {1}, 0, 1));
    }

    @Test
    void proofsAndMacsDependOnEveryInputAndNeverShowTheSecret() {
        ClusterSecret secret = ClusterSecret.of("s3cret-value");
        byte[] cn = ClusterSecret.newNonce();
        byte[] sn = ClusterSecret.newNonce();
        ClusterSecret.Session session = secret.session(cn, sn);
        byte[] mac = session.mac(1, "POST", "/p", new byte[] {1}, 0, 1);

        assertThat(secret.diallerProof(cn, sn)).isNotEqualTo(secret.diallerProof(cn, ClusterSecret.newNonce()));
        assertThat(secret.diallerProof(cn, sn)).isNotEqualTo(ClusterSecret.of("s3cret-valuf").diallerProof(cn, sn));
        assertThat(mac).isNotEqualTo(session.mac(2, "POST", "/p", new byte[] {1}, 0, 1));
        assertThat(mac).isNotEqualTo(session.mac(1, "POST", "/q", new byte[] {1}, 0, 1));
        assertThat(mac).isNotEqualTo(session.mac(1, "POST", "/p", new byte[] {2}, 0, 1));
        assertThat(mac).isNotEqualTo(secret.session(cn, ClusterSecret.newNonce()).mac(1, "POST", "/p", new byte[] {1}, 0, 1));
        assertThat(secret.toString()).doesNotContain("s3cret");
        assertThat(session.toString()).doesNotContain("s3cret");
        assertThat(ClusterSecret.same(mac, null)).isFalse();
    }

    @Test
    void anEmptySecretIsRefusedByName(@TempDir Path dir) throws IOException {
        Path blank = dir.resolve("blank");
        Files.writeString(blank, " \n");

        assertThatThrownBy(() -> ClusterSecret.of("  ")).hasMessageContaining("must not be empty");
        assertThatThrownBy(() -> ClusterSecret.fromFile(blank)).hasMessageContaining(blank + " is empty");
        assertThatThrownBy(() -> ClusterSecret.fromFile(dir.resolve("missing"))).isInstanceOf(IOException.class);
    }
}
