package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** The generated manual page against the command model it is generated from. */
class ManPageTest {

    @TempDir
    Path tmp;

    @Test
    void when_pageIsGenerated_then_everyCommandHasASectionWithEveryOptionAndParameter() {
        CommandSpec root = Main.commandLine().getCommandSpec();
        String page = ManPage.render(root, "1.2.3");

        // walk the model independently of the generator: picocli's own subcommand maps
        Deque<CommandSpec> todo = new ArrayDeque<>();
        root.subcommands().values().forEach(c -> todo.add(c.getCommandSpec()));
        int sections = 0;
        while (!todo.isEmpty()) {
            CommandSpec spec = todo.pop();
            spec.subcommands().values().forEach(c -> todo.add(c.getCommandSpec()));
            String section = section(page, spec.qualifiedName(" "));
            sections++;
            for (OptionSpec option : spec.options()) {
                for (String name : option.names()) {
                    assertThat(section).as("%s: option %s", spec.qualifiedName(" "), name)
                            .contains("\\fB" + ManPage.escape(name) + "\\fR");
                }
                assertThat(section).as("%s: description of %s", spec.qualifiedName(" "), option.longestName())
                        .contains(ManPage.escape(String.join(" ", option.description())));
            }
            for (PositionalParamSpec p : spec.positionalParameters()) {
                assertThat(section).as("%s: parameter %s", spec.qualifiedName(" "), p.paramLabel())
                        .contains("\\fI" + ManPage.escape(p.paramLabel()) + "\\fR");
            }
        }
        // the commands a reader looks for, by name, so that a model that lost them fails here too
        for (String command : List.of("skiff node", "skiff demo", "skiff kv get", "skiff kv put", "skiff kv delete",
                "skiff kv list", "skiff status", "skiff members add", "skiff members remove", "skiff members update",
                "skiff leader transfer", "skiff snapshot take", "skiff snapshot save", "skiff snapshot restore",
                "skiff completion")) {
            section(page, command);
        }
        assertThat(sections).isGreaterThanOrEqualTo(15);
        assertThat(page).startsWith(".\\\" Generated").contains(".TH SKIFF 1 \"\" \"skiff 1.2.3\"")
                .contains(".SH ENVIRONMENT").contains(".SH EXIT STATUS")
                .contains("\\fB\\-\\-addr\\fR=\\fIHOST:PORT\\fR");
    }

    @Test
    void when_textLooksLikeRoff_then_itIsPrintedLiterally() {
        assertThat(ManPage.escape(".TH evil")).isEqualTo("\\&.TH evil");
        assertThat(ManPage.escape("'x")).isEqualTo("\\&'x");
        assertThat(ManPage.escape("a\\b --file\nnext")).isEqualTo("a\\eb \\-\\-file next");
        assertThat(ManPage.escape("file:///\u2026")).isEqualTo("file:///\\[u2026]");
    }

    @Test
    void when_mainRuns_then_itWritesThePageWhereAsked() throws Exception {
        Path out = tmp.resolve("share/man/man1/skiff.1");
        ManPage.main(new String[] {out.toString(), "9.9"});
        assertThat(Files.readString(out, StandardCharsets.UTF_8)).contains("\"skiff 9.9\"").contains(".SS \"skiff kv get\"");
    }

    /** The text of the section for {@code command}, up to the next section. */
    private static String section(String page, String command) {
        String heading = ".SS \"" + ManPage.escape(command) + "\"\n";
        int start = page.indexOf(heading);
        assertThat(start).as("a section for %s", command).isGreaterThanOrEqualTo(0);
        int end = page.indexOf("\n.S", start + heading.length());
        return page.substring(start, end < 0 ? page.length() : end);
    }
}
