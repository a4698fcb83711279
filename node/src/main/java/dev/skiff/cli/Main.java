package dev.skiff.cli;

import dev.skiff.client.CasMismatchException;
import dev.skiff.client.UnavailableException;
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
        description = "A Raft-replicated key-value store for the cloud.")
public final class Main {

    /** Exit code for bad flags or configuration (picocli's usage-error code). */
    static final int EXIT_USAGE = 2;
    /** Exit code for a fatal runtime error. */
    static final int EXIT_FAILURE = 1;
    /** The commands that only talk to a node's API (the launcher gives them a lean class path). */
    static final java.util.Set<String> CLIENT_COMMANDS = java.util.Set.of("kv", "status", "members", "leader", "snapshot", "acl");

    private Main() {
    }

    /** Runs the command line and exits with its code. */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (for tests). */
    static int run(String[] args) {
        CommandLine cli = commandLine(isClientCommand(args) ? args[0] : null);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof IllegalArgumentException) {
                cmd.getErr().println("skiff: " + e.getMessage());
                return EXIT_USAGE;
            }
            if (e instanceof CasMismatchException cas && !e.getMessage().contains("modifyIndex")) {
                cmd.getErr().println("skiff: " + e.getMessage() + " (the key's modifyIndex is now " + cas.currentModifyIndex() + ")");
                return EXIT_FAILURE;
            }
            if (e instanceof UnavailableException u && u.status() == 0) {
                cmd.getErr().println("skiff: " + e.getMessage() + "; is a node running there? Give the nodes' API addresses "
                        + "with --endpoints HOST:PORT,... or SKIFF_ENDPOINTS");
                return EXIT_FAILURE;
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

    /**
     * The command line, configured: defaults from the environment, and no {@code @argfile}
     * expansion, so that an argument starting with {@code @} is never silently replaced by a
     * file's contents (a binary file used to become garbage arguments; API.md §10).
     */
    static CommandLine commandLine() {
        return commandLine(null);
    }

    /**
     * {@link #commandLine()}; with a {@code clientCommand} ({@code "kv"}...), only that command:
     * picocli reflects over every registered command and instantiates it, and the node
     * commands initialise logging and the node's classes, which a {@code skiff kv get} does not
     * need (a JVM per command makes that start-up time, issue #16). Null: every command.
     */
    static CommandLine commandLine(String clientCommand) {
        CommandLine cli = new CommandLine(new Main());
        if (clientCommand == null) {
            cli.addSubcommand(new NodeCommand());
            cli.addSubcommand(new DemoCommand());
            cli.addSubcommand(new TlsCommands());
        }
        for (Object command : new Object[] {new KvCommands(), new StatusCommand(), new MembersCommands(),
                new LeaderCommands(), new SnapshotCommands(), new AclCommands()}) {
            String name = command.getClass().getAnnotation(Command.class).name();
            if (clientCommand == null || clientCommand.equals(name)) {
                cli.addSubcommand(command);
            }
        }
        if (clientCommand == null) {
            cli.addSubcommand(new ArchiveCommands());
            cli.addSubcommand(new CompletionCommand());
            cli.addSubcommand(new CommandLine.HelpCommand());
        }
        cli.setDefaultValueProvider(Main::fromEnvironment);
        cli.setExpandAtFiles(false);
        return cli;
    }

    /** Whether {@code args} run a client command (kept in step with {@code CLIENT_COMMANDS} in the launcher). */
    static boolean isClientCommand(String[] args) {
        return args.length > 0 && CLIENT_COMMANDS.contains(args[0]);
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
