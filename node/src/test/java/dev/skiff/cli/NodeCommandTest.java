package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.api.ApiServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code skiff node}'s flag checks (issue #12): start-up rules, the storage URI schemes per flag,
 * the Raft timing ranges by flag, ids and addresses, the API's I/O threads; each message names
 * the flag, what is wrong and what is accepted.
 */
class NodeCommandTest {

    @TempDir
    Path tmp;

    private NodeSettings parse(String... flags) throws IOException {
        NodeCommand command = new NodeCommand();
        new CommandLine(command).parseArgs(flags);
        if (command.dataDir == null) {
            command.dataDir = tmp.resolve("data");
        }
        return command.settings();
    }

    private NodeSettings node(String... more) throws IOException {
        String[] flags = new String[more.length + 2];
        flags[0] = "--id";
        flags[1] = "n1";
        System.arraycopy(more, 0, flags, 2, more.length);
        return parse(flags);
    }

    @Test
    void when_bootstrapIsGivenWithJoinOrDiscovery_then_bothFlagsAreNamed() {
        assertThatThrownBy(() -> node("--bootstrap", "--join", "http://127.0.0.1:8001"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--bootstrap and --join cannot be used together")
                .hasMessageContaining("give --bootstrap to the first node only and --join to the others");
        assertThatThrownBy(() -> node("--bootstrap", "--discovery", tmp.resolve("table").toUri().toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--bootstrap and --discovery cannot be used together")
                .hasMessageContaining("drop --bootstrap");
    }

    @Test
    void when_bootstrapJoinOrDiscoveryAreAlone_then_theyAreAccepted() throws IOException {
        assertThat(node("--bootstrap").bootstrap()).isTrue();
        assertThat(node("--join", "127.0.0.1:8001,http://127.0.0.1:8002/").join()).hasSize(2);
        assertThat(node("--discovery", tmp.resolve("table").toUri().toString()).storage().discovery()).isNotNull();
    }

    @Test
    void when_aStorageUriHasAnUnknownScheme_then_theSchemeIsCalledUnknownAndTheSupportedOnesAreListed() {
        assertThatThrownBy(() -> node("--snapshots", "ftp://host/dir"))
                .hasMessage("--snapshots 'ftp://host/dir': unknown scheme 'ftp://'; --snapshots takes file:///DIR, s3://BUCKET/PREFIX");
        assertThatThrownBy(() -> node("--stable", "dynamo://table"))
                .hasMessage("--stable 'dynamo://table': unknown scheme 'dynamo://'; --stable takes local, dynamodb://TABLE");
        assertThatThrownBy(() -> node("--discovery", "ftp://x"))
                .hasMessage("--discovery 'ftp://x': unknown scheme 'ftp://'; --discovery takes file:///DIR, "
                        + "dynamodb://TABLE?cluster=NAME");
        assertThatThrownBy(() -> node("--discovery", "dynamo://t?cluster=c"))
                .hasMessageContaining("unknown scheme 'dynamo://'").hasMessageNotContaining("module");
        assertThatThrownBy(() -> node("--restore-from", "ftp://x/y"))
                .hasMessage("--restore-from 'ftp://x/y': unknown scheme 'ftp://'; --restore-from takes "
                        + "file:///DIR[/SNAPSHOT-ID], s3://BUCKET/PREFIX[/SNAPSHOT-ID]");
        assertThatThrownBy(() -> node("--stable", "s3://bucket")).hasMessageContaining("unknown scheme 's3://'");
    }

    @Test
    void when_aFileUriIsNotAnAbsoluteDirectory_then_theThreeSlashFormIsShown() {
        for (String bad : new String[] {"file:relative", "file://host/dir", "file:///dir?x=1"}) {
            assertThatThrownBy(() -> node("--snapshots", bad)).as(bad)
                    .hasMessageContaining("--snapshots '" + bad + "' is not a local directory URI")
                    .hasMessageContaining("file:///path/to/dir");
        }
        assertThatThrownBy(() -> node("--snapshots", "not a uri"))
                .hasMessageStartingWith("--snapshots 'not a uri' is not a valid URI");
    }

    @Test
    void when_raftTimingsAreOutOfRange_then_theFlagAndItsRangeAreNamedInFlagUnits() {
        assertThatThrownBy(() -> node("--election-timeout", "10ms"))
                .hasMessage("--election-timeout must be between 50ms and 1m, got 10ms");
        assertThatThrownBy(() -> node("--election-timeout", "2m"))
                .hasMessage("--election-timeout must be between 50ms and 1m, got 2m");
        assertThatThrownBy(() -> node("--heartbeat-interval", "1s"))
                .hasMessage("--heartbeat-interval must be between 10ms and half the --election-timeout "
                        + "(250ms for --election-timeout 500ms), got 1s");
        assertThatThrownBy(() -> node("--heartbeat-interval", "0ms")).hasMessageStartingWith("--heartbeat-interval must be between");
        assertThatThrownBy(() -> node("--heartbeat-interval", "-5ms")).hasMessageStartingWith("--heartbeat-interval must be between");
        assertThatThrownBy(() -> node("--snapshot-interval", "0s"))
                .hasMessage("--snapshot-interval must be between 10ms and 24h, got 0s");
        assertThatThrownBy(() -> node("--snapshot-threshold", "0"))
                .hasMessage("--snapshot-threshold must be at least 1 entry, got 0");
        assertThatThrownBy(() -> node("--trailing-logs", "-1"))
                .hasMessage("--trailing-logs must be 0 or more entries, got -1");
        assertThatThrownBy(() -> node("--election-timeout", "99999999999999999h"))
                .hasMessageStartingWith("--election-timeout must be a duration like 500ms");
    }

    @Test
    void when_raftTimingsAreAtTheirBounds_then_theyAreAccepted() throws IOException {
        assertThat(node("--election-timeout", "50ms", "--heartbeat-interval", "25ms").raftConfig().electionTimeout())
                .hasMillis(50);
        assertThat(node("--election-timeout", "1m", "--heartbeat-interval", "10ms").raftConfig().heartbeatInterval())
                .hasMillis(10);
    }

    @Test
    void when_theIdIsNotAMemberId_then_itIsRefusedBeforeItBecomesAPath() {
        for (String bad : new String[] {"../../etc", "a/b", " ", "_x", "n 1", "x".repeat(65)}) {
            assertThatThrownBy(() -> parse("--id", bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("--id: ")
                    .hasMessageContaining("1 to 64 letters, digits, '.', '_' or '-'");
        }
        assertThatThrownBy(() -> parse("--id", "")).hasMessage("--id: a member id must not be empty");
        assertThat(tmp.resolve("etc")).doesNotExist();
    }

    @Test
    void when_apiAndRaftShareAnAddress_then_theyAreRefusedTogether() {
        assertThatThrownBy(() -> node("--api-addr", "127.0.0.1:9001", "--raft-addr", "127.0.0.1:9001"))
                .hasMessage("--api-addr 127.0.0.1:9001 and --raft-addr 127.0.0.1:9001 are the same address; "
                        + "give the client API and Raft different ports");
        assertThatThrownBy(() -> node("--api-addr", "0.0.0.0:9001", "--raft-addr", "127.0.0.1:9001",
                "--advertise-api", "10.0.0.1:9001")).hasMessageContaining("are the same address");
    }

    @Test
    void when_anAddressHasSpacesOrNoHost_then_itsFlagIsNamed() {
        assertThatThrownBy(() -> node("--api-addr", "127.0.0.1 :8001")).hasMessageStartingWith("--api-addr: ");
        assertThatThrownBy(() -> node("--api-addr", "0.0.0.0:8001", "--advertise-api", "http://x:8001"))
                .hasMessageStartingWith("--advertise-api");
        assertThatThrownBy(() -> node("--advertise-raft", "nohost")).hasMessage("--advertise-raft must be host:port, got 'nohost'");
    }

    @Test
    void when_joinIsNotAnHttpBaseUrl_then_theExpectedFormIsShown() {
        for (String bad : new String[] {"ftp://x:1", "http://127.0.0.1", "http://127.0.0.1:8001/v1/status", "http://u@x:1",
                                        "http://x:1/?a", "127.0.0.1"}) {
            assertThatThrownBy(() -> node("--join", bad)).as(bad)
                    .hasMessageStartingWith("--join takes members' API addresses like http://10.0.0.5:8001");
        }
    }

    @Test
    void when_theSecretFileIsADirectory_then_theFlagSaysSo() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("secret-dir"));
        assertThatThrownBy(() -> node("--cluster-secret-file", dir.toString()))
                .hasMessage("--cluster-secret-file " + dir + " is not a readable file (it is a directory); give the path "
                        + "of a file holding the secret, or set SKIFF_CLUSTER_SECRET");
    }

    @Test
    void apiIoThreadsDefaultToOneBelowFourCpusElseTwo() throws IOException {
        assertThat(ApiServer.defaultIoThreads(1)).isEqualTo(1);
        assertThat(ApiServer.defaultIoThreads(3)).isEqualTo(1);
        assertThat(ApiServer.defaultIoThreads(4)).isEqualTo(2);
        assertThat(ApiServer.defaultIoThreads(64)).isEqualTo(2);
        assertThat(node().apiIoThreads())
                .isEqualTo(ApiServer.defaultIoThreads(Runtime.getRuntime().availableProcessors()));
        assertThat(node("--api-io-threads", "3").apiIoThreads()).isEqualTo(3);
        assertThat(node("--api-io-threads", "64").apiIoThreads()).isEqualTo(64);
    }

    @Test
    void refusesApiIoThreadsOutOfRangeNamingTheFlag() {
        assertThatThrownBy(() -> node("--api-io-threads", "0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("--api-io-threads must be between 1 and 64, got 0");
        assertThatThrownBy(() -> node("--api-io-threads", "65"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--api-io-threads");
        assertThatThrownBy(() -> node("--api-io-threads", "many"))
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--api-io-threads");
        assertThat(Main.run(new String[] {"node", "--id", "n1", "--api-io-threads", "-1"})).isEqualTo(Main.EXIT_USAGE);
    }
}
