package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skiff.archive.RestoreTarget;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The log archive flags (issue #15) as {@code skiff node} parses them: every mistake named by its flag. */
class NodeCommandArchiveFlagsTest {

    @TempDir
    Path tmp;

    private ArchiveSettings parse(String... flags) throws IOException {
        NodeCommand command = new NodeCommand();
        String[] args = new String[flags.length + 4];
        args[0] = "--id";
        args[1] = "n1";
        args[2] = "--data-dir";
        args[3] = tmp.resolve("n1").toString();
        System.arraycopy(flags, 0, args, 4, flags.length);
        new CommandLine(command).parseArgs(args);
        return command.settings().archive();
    }

    @Test
    void when_noArchiveFlags_then_thereIsNoArchiveAndNoRestoreTarget() throws IOException {
        ArchiveSettings a = parse();
        assertThat(a.location()).isNull();
        assertThat(a.interval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(a.retention()).isZero();
        assertThat(a.restoreTo()).isNull();
    }

    @Test
    void when_theFlagsAreGiven_then_theyAreParsed() throws IOException {
        String dir = tmp.resolve("bk").toUri().toString();
        ArchiveSettings a = parse("--snapshots", dir, "--log-archive", dir, "--log-archive-interval", "250ms",
                "--log-archive-retention", "30d");
        assertThat(a.location()).isEqualTo(URI.create(dir));
        assertThat(a.interval()).isEqualTo(Duration.ofMillis(250));
        assertThat(a.retention()).isEqualTo(Duration.ofDays(30));
        assertThat(parse("--restore-from", dir, "--restore-to-index", "42").restoreTo()).isEqualTo(new RestoreTarget.Index(42));
        assertThat(parse("--restore-from", dir, "--restore-to-time", "2026-12-04T10:00:00+01:00").restoreTo())
                .isEqualTo(new RestoreTarget.Time(Instant.parse("2026-12-04T09:00:00Z")));
    }

    @Test
    void when_theFlagsAreWrong_then_eachMistakeIsNamedByItsFlag() {
        String dir = tmp.resolve("bk").toUri().toString();
        assertThatThrownBy(() -> parse("--log-archive", "ftp://x/y")).hasMessageContaining("--log-archive")
                .hasMessageContaining("s3://BUCKET/PREFIX");
        assertThatThrownBy(() -> parse("--log-archive-interval", "10ms")).hasMessageContaining("--log-archive-interval")
                .hasMessageContaining("from 100ms to 1h");
        assertThatThrownBy(() -> parse("--log-archive-interval", "soon")).hasMessageContaining("--log-archive-interval");
        assertThatThrownBy(() -> parse("--log-archive", dir, "--log-archive-retention", "30d"))
                .hasMessageContaining("--log-archive-retention needs --log-archive and --snapshots at the same location");
        assertThatThrownBy(() -> parse("--snapshots", dir, "--log-archive", dir, "--log-archive-retention", "5m"))
                .hasMessageContaining("at least 1h");
        assertThatThrownBy(() -> parse("--restore-to-index", "5")).hasMessageContaining("--restore-to-index needs --restore-from");
        assertThatThrownBy(() -> parse("--restore-from", dir, "--restore-to-index", "0")).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> parse("--restore-from", dir, "--restore-to-index", "5", "--restore-to-time",
                "2026-12-04T10:00:00Z")).hasMessageContaining("cannot be used together");
        assertThatThrownBy(() -> parse("--restore-from", dir, "--restore-to-time", "yesterday"))
                .hasMessageContaining("--restore-to-time must be an RFC 3339 time");
    }
}
