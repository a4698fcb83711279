package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The issue #5 flags as {@code skiff node} parses them (no storage modules on this class path). */
class NodeCommandStorageFlagsTest {

    @TempDir
    Path tmp;

    private NodeSettings parse(String... flags) throws IOException {
        NodeCommand command = new NodeCommand();
        String[] args = new String[flags.length + 4];
        args[0] = "--id";
        args[1] = "n1";
        args[2] = "--data-dir";
        args[3] = tmp.resolve("n1").toString();
        System.arraycopy(flags, 0, args, 4, flags.length);
        new CommandLine(command).parseArgs(args);
        return command.settings();
    }

    @Test
    void when_noStorageFlags_then_everythingIsLocalAndTheClusterIsSkiff() throws IOException {
        StorageSettings s = parse().storage();
        assertThat(s.cluster()).isEqualTo("skiff");
        assertThat(s.stable()).isNull();
        assertThat(s.snapshots()).isNull();
        assertThat(s.discovery()).isNull();
    }

    @Test
    void when_fileDiscoveryGivesACluster_then_itNamesTheCluster_unlessClusterIsSet() throws IOException {
        String uri = tmp.resolve("table").toUri() + "?cluster=blue";
        assertThat(parse("--discovery", uri).storage().cluster()).isEqualTo("blue");
        assertThat(parse("--discovery", uri, "--cluster", "green").storage().cluster()).isEqualTo("green");
        assertThat(parse("--discovery", uri).storage().discovery()).isEqualTo(URI.create(uri));
    }

    @Test
    void when_aCloudSchemeHasNoProvider_then_theFlagAndTheMissingModuleAreNamed() {
        assertThatThrownBy(() -> parse("--stable", "dynamodb://t"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--stable dynamodb://t").hasMessageContaining("storage-dynamo module is missing");
        assertThatThrownBy(() -> parse("--discovery", "dynamodb://t?cluster=c"))
                .hasMessageContaining("--discovery").hasMessageContaining("storage-dynamo");
        assertThatThrownBy(() -> parse("--snapshots", "s3://bucket/p"))
                .hasMessageContaining("--snapshots").hasMessageContaining("storage-s3 module is missing");
        assertThatThrownBy(() -> parse("--restore-from", "s3://bucket/p"))
                .hasMessageContaining("--restore-from").hasMessageContaining("storage-s3");
        assertThatThrownBy(() -> parse("--stable", "nonsense"))
                .hasMessageContaining("--stable 'nonsense': no scheme; --stable takes local, dynamodb://TABLE");
    }

    @Test
    void when_badClusterNameOrRestoreWithJoin_then_refusedNamingTheFlag() {
        assertThatThrownBy(() -> parse("--cluster", "has space")).hasMessageContaining("--cluster must be");
        assertThatThrownBy(() -> parse("--restore-from", tmp.toUri().toString(), "--join", "http://127.0.0.1:8001"))
                .hasMessageContaining("--restore-from").hasMessageContaining("--join");
    }
}
