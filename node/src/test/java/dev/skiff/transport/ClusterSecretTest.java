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
    void aFileAndAStringWithTheSameSecretMatchEachOther(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("secret");
        Files.writeString(file, "s3cret-value\n");

        ClusterSecret fromFile = ClusterSecret.fromFile(file);
        ClusterSecret fromString = ClusterSecret.of("s3cret-value");

        assertThat(fromFile.matches(fromString.headerValue())).isTrue();
        assertThat(fromString.matches(fromFile.headerValue())).isTrue();
    }

    @Test
    void theTokenIsNotTheSecretAndOtherSecretsOrNoTokenDoNotMatch() {
        ClusterSecret secret = ClusterSecret.of("s3cret-value");

        assertThat(secret.headerValue()).doesNotContain("s3cret").hasSize(43);
        assertThat(secret.matches(ClusterSecret.of("s3cret-valuf").headerValue())).isFalse();
        assertThat(secret.matches(null)).isFalse();
        assertThat(secret.matches("")).isFalse();
        assertThat(secret.matches("s3cret-value")).isFalse();
        assertThat(secret.toString()).doesNotContain("s3cret");
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
