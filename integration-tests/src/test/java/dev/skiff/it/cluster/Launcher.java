package dev.skiff.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The distribution's launcher ({@code dist/target/skiff-VERSION/bin/skiff}, built by the reactor
 * before this module) run as a user runs it: a separate process with the test's JDK as
 * {@code JAVA_HOME} and none of the caller's {@code SKIFF_*} variables.
 */
public final class Launcher {

    private Launcher() {
    }

    /** What a command did: its exit code, its standard output as bytes, its standard error. */
    public record Run(int code, byte[] stdout, String stderr) {

        /** Standard output as UTF-8 text. */
        public String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }
    }

    /** The launcher's path; fails the test if the distribution was not built. */
    private static Path path() {
        Path launcher = Path.of(System.getProperty("skiff.dist.dir", "../dist/target/skiff-0.1.0-SNAPSHOT"), "bin", "skiff");
        assertThat(launcher).as("the distribution's launcher (mvn -pl dist package builds it)").isExecutable();
        return launcher;
    }

    /**
     * Runs {@code skiff args...} in {@code dir} with {@code env} added to its environment and
     * {@code stdin} (or nothing) on its standard input; fails the test if it runs longer than
     * {@code timeout}.
     */
    public static Run run(Path dir, Map<String, String> env, byte[] stdin, Duration timeout, String... args)
            throws Exception {
        List<String> cmd = new ArrayList<>(List.of(path().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("SKIFF_"));
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().putAll(env);
        Process p = pb.start();
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        try (var in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin);
            }
        }
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("skiff " + String.join(" ", args) + " still running after " + timeout);
        }
        return new Run(p.exitValue(), out.get(), new String(err.get(), StandardCharsets.UTF_8));
    }

    private static byte[] readAll(InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
