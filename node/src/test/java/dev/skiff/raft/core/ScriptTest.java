package dev.skiff.raft.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Scripted interaction tests of {@link RaftCore} (after etcd's {@code datadriven} tests):
 * every {@code *.txt} file in {@code src/test/resources/dev/skiff/raft/core/scripts/} is run
 * by a {@link ScriptCluster} and its trace compared with the expectation written in the file.
 *
 * <p>A script is a sequence of blocks, separated by blank lines; {@code #} lines between
 * blocks are comments. A block is one or more command lines, a {@code ----} line, then the
 * expected trace of those commands (one event per line; {@code ok} when nothing happened):
 * <pre>
 * # Server 1 wins the first election.
 * campaign 1
 * ----
 * 1 is CANDIDATE t1
 * 1-&gt;2 PreVote t2 last=1/1
 * ...
 * </pre>
 * Commands: {@code config key=value...} (pre-vote, check-quorum, trailing-logs, max-inflight;
 * for servers started afterwards), {@code add-nodes N}, {@code bootstrap [ids]},
 * {@code campaign ID} (tick it until it campaigns), {@code tick ID|all [xN] [stabilize]}
 * (with stabilize: deliver after each round),
 * {@code propose ID DATA}, {@code read ID REQUEST [lease]}, {@code transfer FROM TO},
 * {@code add-voter|add-nonvoter|remove|demote LEADER ID}, {@code snapshot ID},
 * {@code deliver-msgs [TO]}, {@code drop-msgs FROM->TO|TO}, {@code partition 1 / 2 3},
 * {@code heal}, {@code stabilize} (deliver until no message is left),
 * {@code disk-hold ID} / {@code disk-release ID} (the leader's log writer stalls / resumes),
 * {@code crash ID},
 * {@code restart ID}, {@code status [ids]}, {@code log ID}. Each script runs on its own
 * cluster with the same seed, so a run is reproducible.
 *
 * <p>To write a new script or accept a changed trace, run with {@code -Dskiff.rewrite=true}:
 * the files are rewritten in place with the actual traces, and the diff is then reviewed like
 * code:
 * <pre>
 * bin/test -pl node -Dtest=ScriptTest -Dskiff.rewrite=true &amp;&amp; git diff node/src/test/resources
 * </pre>
 * Without it, a differing trace fails the test with the script, line, command and a line diff.
 */
class ScriptTest {

    private static final long SEED = 1;
    private static final String SEPARATOR = "----";

    /** One block: its commands (first line number), and the expected trace. */
    private record Block(int line, List<String> commands, List<String> expected) {
    }

    /** Comment or blank lines kept as they are, or a block. */
    private record Part(List<String> verbatim, Block block) {
    }

    static Path scriptDir() {
        Path base = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
        Path rel = Path.of("src", "test", "resources", "dev", "skiff", "raft", "core", "scripts");
        Path dir = base.resolve(rel);
        return Files.isDirectory(dir) ? dir : base.resolve("node").resolve(rel);
    }

    @TestFactory
    Stream<DynamicTest> scripts() throws IOException {
        Path dir = scriptDir();
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".txt")).sorted().toList();
        }
        assertThat(files).as("scripts in " + dir).isNotEmpty();
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> runScript(f)));
    }

    private static void runScript(Path file) throws IOException {
        List<Part> parts = parse(file);
        ScriptCluster cluster = new ScriptCluster(SEED);
        StringBuilder rewritten = new StringBuilder();
        StringBuilder failures = new StringBuilder();
        for (Part p : parts) {
            if (p.block() == null) {
                p.verbatim().forEach(l -> rewritten.append(l).append('\n'));
                continue;
            }
            Block b = p.block();
            List<String> actual = new ArrayList<>();
            for (int i = 0; i < b.commands().size(); i++) {
                String command = b.commands().get(i);
                try {
                    actual.addAll(List.of(cluster.run(command).split("\n")));
                } catch (RuntimeException e) {
                    throw new AssertionError(file.getFileName() + ":" + (b.line() + i) + ": `" + command + "` failed: " + e, e);
                }
            }
            if (b.commands().size() > 1) {
                actual.removeIf(l -> l.equals("ok"));
                if (actual.isEmpty()) {
                    actual.add("ok");
                }
            }
            b.commands().forEach(c -> rewritten.append(c).append('\n'));
            rewritten.append(SEPARATOR).append('\n');
            actual.forEach(l -> rewritten.append(l).append('\n'));
            if (!actual.equals(b.expected())) {
                failures.append(file.getFileName()).append(':').append(b.line()).append(": ")
                        .append(String.join(" / ", b.commands())).append('\n')
                        .append(LineDiff.diff(b.expected(), actual)).append('\n');
            }
        }
        if (Boolean.getBoolean("skiff.rewrite")) {
            String text = rewritten.toString().stripTrailing() + "\n";
            Files.writeString(file, text, StandardCharsets.UTF_8);
            return;
        }
        if (!failures.isEmpty()) {
            throw new AssertionError("trace differs (- expected, + actual); if the change is intended, rerun with "
                    + "-Dskiff.rewrite=true and review the diff\n" + failures);
        }
    }

    private static List<Part> parse(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Part> parts = new ArrayList<>();
        int i = 0;
        while (i < lines.size()) {
            String line = lines.get(i);
            if (line.isBlank() || line.startsWith("#")) {
                parts.add(new Part(List.of(line), null));
                i++;
                continue;
            }
            int start = i + 1;
            List<String> commands = new ArrayList<>();
            while (i < lines.size() && !lines.get(i).equals(SEPARATOR) && !lines.get(i).isBlank()) {
                commands.add(lines.get(i++));
            }
            List<String> expected = new ArrayList<>();
            if (i < lines.size() && lines.get(i).equals(SEPARATOR)) {
                i++;
                while (i < lines.size() && !lines.get(i).isBlank()) {
                    expected.add(lines.get(i++));
                }
            }
            parts.add(new Part(null, new Block(start, commands, expected)));
            // The blank line that ends a block is part of the layout, kept as a verbatim part.
        }
        return parts;
    }
}
