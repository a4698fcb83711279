package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.api.ApiServer;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** --api-io-threads: the default for the machine, parsing, refusals naming the flag. */
class ApiIoThreadsFlagTest {

    private static NodeSettings settings(String... args) throws Exception {
        NodeCommand cmd = new NodeCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd.settings();
    }

    @Test
    void defaultIsOneBelowFourCpusElseTwo() throws Exception {
        assertThat(ApiServer.defaultIoThreads(1)).isEqualTo(1);
        assertThat(ApiServer.defaultIoThreads(3)).isEqualTo(1);
        assertThat(ApiServer.defaultIoThreads(4)).isEqualTo(2);
        assertThat(ApiServer.defaultIoThreads(64)).isEqualTo(2);
        assertThat(settings("--id", "n1").apiIoThreads())
                .isEqualTo(ApiServer.defaultIoThreads(Runtime.getRuntime().availableProcessors()));
    }

    @Test
    void takesTheFlag() throws Exception {
        assertThat(settings("--id", "n1", "--api-io-threads", "3").apiIoThreads()).isEqualTo(3);
        assertThat(settings("--id", "n1", "--api-io-threads", "64").apiIoThreads()).isEqualTo(64);
    }

    @Test
    void refusesBadValuesNamingTheFlag() {
        assertThatThrownBy(() -> settings("--id", "n1", "--api-io-threads", "0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("--api-io-threads must be between 1 and 64, got 0");
        assertThatThrownBy(() -> settings("--id", "n1", "--api-io-threads", "65"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--api-io-threads");
        assertThatThrownBy(() -> settings("--id", "n1", "--api-io-threads", "many"))
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--api-io-threads");
        assertThat(Main.run(new String[] {"node", "--id", "n1", "--api-io-threads", "-1"})).isEqualTo(Main.EXIT_USAGE);
    }
}
