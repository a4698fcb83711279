package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** --remove-dead-after, --min-voters and --ready-max-lag: defaults, parsing, refusals naming the flag. */
class AutopilotFlagsTest {

    private static NodeSettings settings(String... args) throws Exception {
        NodeCommand cmd = new NodeCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd.settings();
    }

    @Test
    void defaultsAreApiMdOnes() throws Exception {
        AutopilotSettings a = settings("--id", "n1").autopilot();
        assertThat(a).isEqualTo(AutopilotSettings.DEFAULTS);
        assertThat(a.removesDeadMembers()).isFalse();
        assertThat(a.minVoters()).isEqualTo(3);
        assertThat(a.readyMaxLag()).isEqualTo(1000);
    }

    @Test
    void parsesTheFlags() throws Exception {
        AutopilotSettings a = settings("--id", "n1", "--remove-dead-after", "10s", "--min-voters", "5",
                "--ready-max-lag", "50").autopilot();
        assertThat(a).isEqualTo(new AutopilotSettings(Duration.ofSeconds(10), 5, 50));
        assertThat(a.removesDeadMembers()).isTrue();
    }

    @Test
    void refusesBadValuesNamingTheFlag() {
        assertThatThrownBy(() -> settings("--id", "n1", "--remove-dead-after", "soon"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--remove-dead-after");
        assertThatThrownBy(() -> settings("--id", "n1", "--remove-dead-after", "200ms"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--remove-dead-after").hasMessageContaining("1s");
        assertThatThrownBy(() -> settings("--id", "n1", "--remove-dead-after", "-5s"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--remove-dead-after");
        assertThatThrownBy(() -> settings("--id", "n1", "--min-voters", "0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--min-voters");
        assertThatThrownBy(() -> settings("--id", "n1", "--ready-max-lag", "-1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--ready-max-lag");
    }

    @Test
    void exitCode2ForABadFlag() {
        assertThat(Main.run(new String[] {"node", "--id", "n1", "--min-voters", "0"})).isEqualTo(Main.EXIT_USAGE);
    }

    @Test
    void fatalMessagesNameCauseAndFix() {
        String corrupt = FatalStop.describe("n1", new java.io.UncheckedIOException(
                new dev.skiff.raft.CorruptLogException("corrupt data in /d/log_1-9 at offset 42: record checksum mismatch. Wipe it.")));
        assertThat(corrupt).startsWith("Raft stopped on node n1: corrupt data in /d/log_1-9 at offset 42");
        String other = FatalStop.describe("n2", new IllegalStateException("boom"));
        assertThat(other).contains("n2").contains("boom").contains("data dir aside");
    }
}
