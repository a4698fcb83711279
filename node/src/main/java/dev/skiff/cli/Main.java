package dev.skiff.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code skiff}: the command line. Every long flag also reads from an environment variable
 * named after it ({@code --api-addr} ⇔ {@code SKIFF_API_ADDR}), so systemd units and user-data
 * configure nodes without wrapper scripts. Exit codes (API.md §1): 0 clean shutdown, 2 bad
 * flags or configuration, 1 fatal runtime error.
 */
@Command(name = "skiff", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A Raft-replicated key-value store for the cloud.",
        subcommands = {NodeCommand.class, DemoCommand.class, KvCommands.class, StatusCommand.class,
                SnapshotCommands.class, CommandLine.HelpCommand.class})
public final class Main {

    /** Exit code for bad flags or configuration (picocli's usage-error code). */
    static final int EXIT_USAGE = 2;
    /** Exit code for a fatal runtime error. */
    static final int EXIT_FAILURE = 1;

    private Main() {
    }

    /** Runs the command line and exits with its code. */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (for tests). */
    static int run(String[] args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setDefaultValueProvider(Main::fromEnvironment);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof IllegalArgumentException) {
                cmd.getErr().println("skiff: " + e.getMessage());
                return EXIT_USAGE;
            }
            cmd.getErr().println("skiff: " + describe(e));
            return EXIT_FAILURE;
        });
        return cli.execute(args);
    }

    /**
     * A failure in words: the JDK's file-system exceptions often carry only the path as their
     * message ({@code skiff: /path}), so their kind is spelled out.
     */
    static String describe(Exception e) {
        if (e instanceof java.nio.file.FileSystemException fse && fse.getReason() == null) {
            String what = switch (fse) {
                case java.nio.file.AccessDeniedException x -> "permission denied";
                case java.nio.file.NoSuchFileException x -> "no such file or directory";
                case java.nio.file.FileAlreadyExistsException x -> "already exists";
                case java.nio.file.NotDirectoryException x -> "not a directory";
                case java.nio.file.DirectoryNotEmptyException x -> "directory not empty";
                default -> fse.getClass().getSimpleName();
            };
            return fse.getMessage() + ": " + what;
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    /** {@code --foo-bar} → {@code SKIFF_FOO_BAR}, for every option that has a long name. */
    static String fromEnvironment(ArgSpec spec) {
        if (spec instanceof OptionSpec option) {
            String name = option.longestName();
            if (name.startsWith("--")) {
                String env = "SKIFF_" + name.substring(2).toUpperCase(java.util.Locale.ROOT).replace('-', '_');
                String value = System.getenv(env);
                if (value != null && !value.isEmpty()) {
                    return value;
                }
            }
        }
        return null;
    }

    /** Prints the version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"skiff " + (v == null ? "development build" : v)};
        }
    }
}
