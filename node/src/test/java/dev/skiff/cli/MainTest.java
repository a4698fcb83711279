package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Exit codes and messages of the command line (API.md §1): bad flags exit 2 naming the flag. */
class MainTest {

    private record Run(int code, String err) {
    }

    private static Run run(String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Run(code, err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(saved);
        }
    }

    @Test
    void unknownFlagExits2NamingIt() {
        Run r = run("node", "--id", "n1", "--no-such-flag");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--no-such-flag");
    }

    @Test
    void missingRequiredFlagExits2NamingIt() {
        Run r = run("node");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--id");
    }

    @Test
    void badAddressExits2NamingTheFlag() {
        Run r = run("node", "--id", "n1", "--api-addr", "nonsense");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--api-addr");
    }

    @Test
    void wildcardBindWithoutAdvertiseExits2() {
        Run r = run("node", "--id", "n1", "--api-addr", "0.0.0.0:8001");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--advertise-api");
    }

    @Test
    void badDurationAndRaftSettingExit2NamingTheFlag() {
        assertThat(run("node", "--id", "n1", "--election-timeout", "soon").err()).contains("--election-timeout");
        Run r = run("node", "--id", "n1", "--election-timeout", "80ms");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("skiff: --heartbeat-interval must be between 10ms and half the --election-timeout "
                + "(40ms for --election-timeout 80ms), got 50ms");
    }

    @Test
    void cloudFlagsWithoutTheirModuleExit2WithAClearMessage() {
        Run r = run("node", "--id", "n1", "--stable", "dynamodb://table");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--stable");
    }

    @Test
    void bootstrapWithJoinOrDiscoveryExits2NamingBothFlags() {
        Run join = run("node", "--id", "n1", "--bootstrap", "--join", "http://127.0.0.1:8001");
        assertThat(join.code()).isEqualTo(2);
        assertThat(join.err()).startsWith("skiff: --bootstrap and --join cannot be used together");
        Run discovery = run("node", "--id", "n1", "--bootstrap", "--discovery", "file:///tmp/skiff-main-test-table");
        assertThat(discovery.code()).isEqualTo(2);
        assertThat(discovery.err()).startsWith("skiff: --bootstrap and --discovery cannot be used together");
    }

    @Test
    void unknownStorageSchemesExit2ListingTheSupportedOnes() {
        Run ftp = run("node", "--id", "n1", "--snapshots", "ftp://host/dir");
        assertThat(ftp.code()).isEqualTo(2);
        assertThat(ftp.err()).contains("unknown scheme 'ftp://'; --snapshots takes file:///DIR, s3://BUCKET/PREFIX")
                .doesNotContain("module");
        Run dynamo = run("node", "--id", "n1", "--stable", "dynamo://t");
        assertThat(dynamo.code()).isEqualTo(2);
        assertThat(dynamo.err()).contains("unknown scheme 'dynamo://'; --stable takes local, dynamodb://TABLE")
                .doesNotContain("module");
    }

    @Test
    void fileSystemFailuresWithOnlyAPathAreSpelledOut() {
        assertThat(Main.describe(new java.nio.file.NoSuchFileException("/missing/dir/x.snap.part")))
                .isEqualTo("/missing/dir/x.snap.part: no such file or directory");
        assertThat(Main.describe(new java.nio.file.AccessDeniedException("/root/x"))).isEqualTo("/root/x: permission denied");
        assertThat(Main.describe(new java.io.IOException("disk on fire"))).isEqualTo("disk on fire");
    }

    @Test
    void anArgumentStartingWithAtIsNeverReadAsAnArgumentFile() throws Exception {
        java.nio.file.Path argFile = java.nio.file.Files.createTempFile("skiff-args", ".txt");
        try {
            java.nio.file.Files.writeString(argFile, "--no-such-flag\n");
            Run r = run("kv", "put", "k", "@" + argFile, "--addr", "127.0.0.1:1", "--retry-for", "0s");
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err()).contains("starts with '@'").contains("--file " + argFile).doesNotContain("--no-such-flag");
        } finally {
            java.nio.file.Files.delete(argFile);
        }
    }

    @Test
    void aValueGivenTwiceOrNotAtAllExits2() {
        Run both = run("kv", "put", "k", "v", "--file", "/etc/hostname", "--addr", "127.0.0.1:1");
        assertThat(both.code()).isEqualTo(2);
        assertThat(both.err()).contains("not both");
        Run none = run("kv", "put", "k", "--addr", "127.0.0.1:1");
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.err()).contains("--file").contains("'-'");
        Run missing = run("kv", "put", "k", "--file", "/no/such/file", "--addr", "127.0.0.1:1");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("/no/such/file does not exist");
    }

    @Test
    void snapshotSaveIntoAMissingDirectorySaysSo() {
        Run r = run("snapshot", "save", "/missing/dir/x.snap", "--addr", "127.0.0.1:1", "--retry-for", "0s");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("directory /missing/dir does not exist").doesNotContain(".part");
    }

    @Test
    void badEndpointsExit2NamingTheFlag() {
        Run r = run("kv", "get", "k", "--endpoints", "127.0.0.1:1,http://");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--endpoints").contains("http://");
    }

    @Test
    void completionScriptsCoverTheCommands() {
        java.io.PrintStream saved = System.out;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertThat(Main.run(new String[] {"completion", "zsh"})).isZero();
        } finally {
            System.setOut(saved);
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("#compdef skiff").contains("members").contains("--endpoints")
                .contains("snapshot");
    }
}
