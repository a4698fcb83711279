package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.tls.DevCertificates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code skiff node}'s TLS flags and {@code skiff tls init}: what they accept, and what they refuse by name. */
class TlsFlagsTest {

    @TempDir
    Path tmp;

    private NodeCommand parse(String... flags) {
        NodeCommand command = new NodeCommand();
        new CommandLine(command).parseArgs(flags);
        return command;
    }

    @Test
    void tlsInitWritesACaAndCertificatesWithKeysOnlyTheOwnerCanReadAndNeverOverwrites() throws IOException {
        Path dir = tmp.resolve("certs");
        TlsCommands.init(dir, List.of("n1", "n2"), DevCertificates.LOCAL_SANS);

        assertThat(dir.resolve("n1.pem")).exists();
        assertThat(dir.resolve("client.pem")).exists();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("n1-key.pem")))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca-key.pem")))).isEqualTo("rw-------");
        assertThatThrownBy(() -> TlsCommands.init(dir, List.of("n1"), DevCertificates.LOCAL_SANS))
                .hasMessageContaining("already exists; tls init never overwrites");
        var tls = parse("--id", "n1", "--tls-cert-file", dir.resolve("n1.pem").toString(), "--tls-key-file",
                dir.resolve("n1-key.pem").toString(), "--tls-ca-file", dir.resolve("ca.pem").toString(),
                "--api-require-client-cert").tls().orElseThrow();
        assertThat(tls.apiRequireClientCert()).isTrue();
        assertThat(tls.material().certificate().getSubjectX500Principal().getName()).isEqualTo("CN=n1");
    }

    @Test
    void incompleteOrUnusableTlsFlagsAreRefusedNamingTheFlags() throws IOException {
        Path dir = tmp.resolve("certs");
        TlsCommands.init(dir, List.of("n1", "n2"), DevCertificates.LOCAL_SANS);

        assertThatThrownBy(() -> parse("--id", "n1", "--tls-cert-file", dir.resolve("n1.pem").toString()).tls())
                .hasMessageContaining("TLS needs all of").hasMessageContaining("missing --tls-key-file, --tls-ca-file");
        assertThatThrownBy(() -> parse("--id", "n1", "--api-require-client-cert").tls())
                .hasMessageContaining("--api-require-client-cert needs TLS");
        assertThatThrownBy(() -> parse("--id", "n1", "--tls-cert-file", dir.resolve("n1.pem").toString(), "--tls-key-file",
                dir.resolve("n2-key.pem").toString(), "--tls-ca-file", dir.resolve("ca.pem").toString()).tls())
                .hasMessageStartingWith("--tls-cert-file/--tls-key-file/--tls-ca-file: ")
                .hasMessageContaining("does not belong to the certificate");
        assertThatThrownBy(() -> parse("--id", "n1", "--tls-cert-file", dir.resolve("n1.pem").toString(), "--tls-key-file",
                dir.resolve("n1-key.pem").toString(), "--tls-ca-file", dir.resolve("missing.pem").toString()).tls())
                .hasMessageContaining("missing.pem does not exist");
        assertThat(parse("--id", "n1").tls()).isEmpty();
    }
}
