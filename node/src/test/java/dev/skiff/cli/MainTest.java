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
        Run r = run("node", "--id", "n1", "--election-timeout", "20ms");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("heartbeatInterval");
    }

    @Test
    void cloudFlagsWithoutTheirModuleExit2WithAClearMessage() {
        Run r = run("node", "--id", "n1", "--stable", "dynamodb://table");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--stable");
    }

}
