package dev.skiff.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * {@code skiff.1}: the manual page, written in roff from the command model itself at build time
 * (the {@code dist} module runs {@link #main}), so that it lists exactly the commands and
 * options {@code skiff --help} knows. One section per command, every option and parameter with
 * its description; plus the environment and exit codes that hold for all of them.
 */
public final class ManPage {

    private ManPage() {
    }

    /**
     * Writes the page: {@code ManPage OUTPUT_FILE VERSION}.
     *
     * @param args the file to write (its directories are created) and the version to name in the page
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: ManPage OUTPUT_FILE VERSION");
            System.exit(Main.EXIT_USAGE);
        }
        Path out = Path.of(args[0]);
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        Files.writeString(out, render(Main.commandLine().getCommandSpec(), args[1]), StandardCharsets.UTF_8);
    }

    /** The page for {@code root} (the {@code skiff} command) and every command under it. */
    static String render(CommandSpec root, String version) {
        StringBuilder r = new StringBuilder();
        r.append(".\\\" Generated from the picocli command model by dev.skiff.cli.ManPage; do not edit.\n");
        r.append(".TH SKIFF 1 \"\" \"skiff ").append(escape(version)).append("\" \"Skiff Manual\"\n");
        r.append(".SH NAME\n").append("skiff \\- ").append(escape(String.join(" ", root.usageMessage().description()))).append('\n');
        r.append(".SH SYNOPSIS\n").append(".B skiff\n").append("\\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARGUMENTS\\fR]\n");
        r.append(".SH DESCRIPTION\n")
                .append("Skiff keeps a key-value store replicated with Raft across a few node processes. ")
                .append("The node commands (\\fBnode\\fR, \\fBdemo\\fR) run nodes; the client commands ")
                .append("(\\fBkv\\fR, \\fBstatus\\fR, \\fBmembers\\fR, \\fBleader\\fR, \\fBsnapshot\\fR) talk to ")
                .append("a running cluster over its HTTP API. Arguments are never read from @files.\n");
        r.append(".SH COMMANDS\n");
        for (CommandSpec command : commands(root)) {
            section(r, command);
        }
        r.append(".SH ENVIRONMENT\n")
                .append(".TP\n.B SKIFF_\\fIFLAG\\fP\n")
                .append("Every long option also reads from an environment variable named after it: ")
                .append("\\fB\\-\\-api\\-addr\\fR from \\fBSKIFF_API_ADDR\\fR, \\fB\\-\\-endpoints\\fR from ")
                .append("\\fBSKIFF_ENDPOINTS\\fR, and so on. A flag on the command line wins.\n")
                .append(".TP\n.B SKIFF_TOKEN\nThe ACL token sent by client commands, when the cluster needs one.\n")
                .append(".TP\n.B SKIFF_CLUSTER_SECRET\nThe cluster secret of a node (or \\fB\\-\\-cluster\\-secret\\-file\\fR).\n")
                .append(".TP\n.B SKIFF_CDS\n\\fBoff\\fR: client commands start without their class-data-sharing archive.\n")
                .append(".TP\n.B JAVA_HOME, JAVA_OPTS\nThe Java 21+ runtime to use, and extra JVM flags.\n");
        r.append(".SH EXIT STATUS\n")
                .append(".TP\n.B 0\nDone (a node: stopped by SIGTERM or SIGINT).\n")
                .append(".TP\n.B 1\nFailed; the message on stderr says why and what to do.\n")
                .append(".TP\n.B 2\nBad arguments, flags or configuration; the message names the flag.\n");
        r.append(".SH SEE ALSO\n")
                .append("\\fBskiff help\\fR \\fICOMMAND\\fR, \\fBskiff completion bash\\fR; docs/API.md in the distribution's sources.\n");
        return r.toString();
    }

    /** Every command under {@code root}, depth first in declaration order, each once (aliases skipped), none hidden. */
    static List<CommandSpec> commands(CommandSpec root) {
        List<CommandSpec> out = new ArrayList<>();
        collect(root, out, new IdentityHashMap<>());
        return out;
    }

    private static void collect(CommandSpec spec, List<CommandSpec> out, Map<CommandSpec, Boolean> seen) {
        for (CommandLine sub : spec.subcommands().values()) {
            CommandSpec s = sub.getCommandSpec();
            if (s.usageMessage().hidden() || seen.put(s, Boolean.TRUE) != null) {
                continue;
            }
            out.add(s);
            collect(s, out, seen);
        }
    }

    private static void section(StringBuilder r, CommandSpec spec) {
        r.append(".SS \"").append(escape(spec.qualifiedName(" "))).append("\"\n");
        r.append(".B ").append(escape(spec.qualifiedName(" "))).append('\n');
        StringBuilder synopsis = new StringBuilder();
        if (!visibleOptions(spec).isEmpty()) {
            synopsis.append("[\\fIOPTIONS\\fR]");
        }
        for (PositionalParamSpec p : spec.positionalParameters()) {
            if (p.hidden()) {
                continue;
            }
            String label = "\\fI" + escape(p.paramLabel()) + "\\fR" + (p.arity().max() > 1 ? "..." : "");
            synopsis.append(synopsis.isEmpty() ? "" : " ").append(p.arity().min() == 0 ? "[" + label + "]" : label);
        }
        if (!spec.subcommands().isEmpty()) {
            synopsis.append(synopsis.isEmpty() ? "" : " ").append("\\fICOMMAND\\fR");
        }
        if (!synopsis.isEmpty()) {
            r.append(synopsis).append('\n');
        }
        for (String line : spec.usageMessage().description()) {
            r.append(".PP\n").append(escape(line)).append('\n');
        }
        for (PositionalParamSpec p : spec.positionalParameters()) {
            if (!p.hidden()) {
                r.append(".TP\n\\fI").append(escape(p.paramLabel())).append("\\fR\n").append(escape(String.join(" ", p.description()))).append('\n');
            }
        }
        for (OptionSpec o : visibleOptions(spec)) {
            r.append(".TP\n").append(optionTerm(o)).append('\n').append(escape(String.join(" ", o.description()))).append('\n');
        }
    }

    private static List<OptionSpec> visibleOptions(CommandSpec spec) {
        return spec.options().stream().filter(o -> !o.hidden()).toList();
    }

    /** {@code \fB-o\fR, \fB--output\fR=\fIFORMAT\fR}: the names in bold, the parameter in italics. */
    private static String optionTerm(OptionSpec o) {
        StringBuilder t = new StringBuilder();
        for (String name : o.names()) {
            t.append(t.isEmpty() ? "" : ", ").append("\\fB").append(escape(name)).append("\\fR");
        }
        if (o.arity().max() > 0) {
            t.append("=\\fI").append(escape(o.paramLabel())).append("\\fR");
        }
        return t.toString();
    }

    /**
     * Text as roff reads it literally: backslashes and hyphens escaped, no line starting a
     * request, and anything beyond ASCII as a named glyph ({@code \[u2026]}), which groff reads
     * whatever the input encoding it assumes.
     */
    static String escape(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            switch (c) {
                case '\\' -> sb.append("\\e");
                case '-' -> sb.append("\\-");
                case '\r' -> { }
                case '\n' -> sb.append(' ');
                default -> {
                    if (c < 128) {
                        sb.appendCodePoint(c);
                    } else {
                        sb.append(String.format("\\[u%04X]", c));
                    }
                }
            }
        });
        String s = sb.toString();
        return s.startsWith(".") || s.startsWith("'") ? "\\&" + s : s;
    }
}
