package dev.skiff.it.cluster;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One Skiff node running as its own JVM ({@code java -cp <this JVM's class path>
 * dev.skiff.cli.Main node ...}), with its output appended to a log file that survives
 * restarts.
 *
 * <p>The node's flags are fixed when it is created, so {@link #start()} after
 * {@link #kill9()} restarts it exactly as it was first started (API.md §1: a node killed with
 * {@code kill -9} and started again with the same flags rejoins).
 *
 * <p>Thread-safe: the lifecycle methods are synchronized (a nemesis thread and the test may
 * call them). Every process started here is destroyed by a JVM shutdown hook if it is still
 * alive when the JVM exits.
 */
public final class NodeProcess {

    /** The node's main class (the {@code skiff} command line). */
    public static final String MAIN_CLASS = "dev.skiff.cli.Main";

    private static final Set<Process> alive = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> alive.forEach(Process::destroyForcibly), "node-reaper"));
    }

    private final String id;
    private final int apiPort;
    private final int raftPort;
    private final Path dataDir;
    private final Path logFile;
    private final List<String> extraArgs;
    private final List<String> arguments;
    private final Map<String, String> environment;
    private final NodeClient client;
    private Process process;
    private boolean paused;

    /**
     * @param id        the node id
     * @param apiPort   its API port on 127.0.0.1
     * @param raftPort  its raft port on 127.0.0.1
     * @param dataDir   its data directory
     * @param logFile   where its output goes (appended)
     * @param extraArgs flags after {@code --id/--api-addr/--raft-addr/--data-dir}
     * @param environment extra environment variables of the process
     * @param http      the HTTP client for {@link #client()}
     * @param timeout   the client's request timeout
     */
    NodeProcess(String id, int apiPort, int raftPort, Path dataDir, Path logFile, List<String> extraArgs,
                Map<String, String> environment, HttpClient http, Duration timeout) {
        this.id = id;
        this.apiPort = apiPort;
        this.raftPort = raftPort;
        this.dataDir = dataDir;
        this.logFile = logFile;
        List<String> args = new ArrayList<>(List.of("node", "--id", id, "--api-addr", "127.0.0.1:" + apiPort,
                "--raft-addr", "127.0.0.1:" + raftPort, "--data-dir", dataDir.toString()));
        args.addAll(extraArgs);
        this.extraArgs = List.copyOf(extraArgs);
        this.arguments = List.copyOf(args);
        this.environment = Map.copyOf(environment);
        String scheme = extraArgs.contains("--tls-cert-file") ? "https" : "http";
        // With ACLs on (ClusterOptions#withAclToken), the harness's own calls carry the token.
        this.client = new NodeClient(http, scheme + "://127.0.0.1:" + apiPort, timeout).withToken(environment.get("SKIFF_TOKEN"));
    }

    /** The same node (id, data directory, log file, flags, environment) on two new free ports; not started. */
    NodeProcess onNewPorts(HttpClient http, Duration timeout) {
        return new NodeProcess(id, FreePorts.next(), FreePorts.next(), dataDir, logFile, extraArgs, environment, http, timeout);
    }

    /**
     * A command line that runs {@code skiff args...} in a fresh JVM like the nodes': the same
     * java binary and class path as this JVM, a small heap, fast start.
     */
    public static List<String> javaCommand(List<String> args) {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java));
        if (Runtime.version().feature() >= 24) {
            // Netty/XNIO-era libraries call sun.misc.Unsafe; JDK 24+ warns on stderr otherwise.
            cmd.add("--sun-misc-unsafe-memory-access=allow");
        }
        cmd.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
                "-cp", System.getProperty("java.class.path"), MAIN_CLASS));
        cmd.addAll(args);
        return cmd;
    }

    /** A process builder for {@code skiff args...} with no SKIFF_* variable inherited from this JVM's environment. */
    public static ProcessBuilder skiff(List<String> args) {
        ProcessBuilder pb = new ProcessBuilder(javaCommand(args));
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("SKIFF_"));
        return pb;
    }

    /** Starts the process (again, after a kill). @throws IllegalStateException if it is running */
    public synchronized void start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(id + " is already running (pid " + process.pid() + ")");
        }
        try {
            Files.createDirectories(logFile.getParent());
            Files.writeString(logFile, "==== starting " + id + ": " + String.join(" ", arguments) + "\n",
                    StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            ProcessBuilder builder = skiff(arguments);
            builder.environment().putAll(environment);
            process = builder
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start node " + id, e);
        }
        alive.add(process);
        paused = false;
    }

    /** {@code kill -9}: SIGKILL, then waits until the process is gone. A paused node dies too. */
    public synchronized void kill9() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        awaitExit(Duration.ofSeconds(30));
        paused = false;
    }

    /** {@code kill -STOP}: the process freezes (sockets stay open, nothing answers). */
    public synchronized void pause() {
        signal("STOP");
        paused = true;
    }

    /** {@code kill -CONT}: a paused process runs again. */
    public synchronized void resume() {
        signal("CONT");
        paused = false;
    }

    /**
     * {@code kill -TERM} (a paused node is resumed first, or it could not act on it), then
     * waits for the exit.
     *
     * @return the exit code
     */
    public synchronized int terminate(Duration timeout) {
        if (process == null || !process.isAlive()) {
            throw new IllegalStateException(id + " is not running");
        }
        if (paused) {
            resume();
        }
        process.destroy(); // SIGTERM on Unix
        return awaitExit(timeout);
    }

    private int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor();
                alive.remove(process);
                throw new IllegalStateException(id + " did not exit within " + timeout + "; killed it");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IllegalStateException("interrupted while waiting for " + id + " to exit", e);
        }
        alive.remove(process);
        return process.exitValue();
    }

    private void signal(String signal) {
        if (process == null || !process.isAlive()) {
            throw new IllegalStateException(id + " is not running: cannot send SIG" + signal);
        }
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                    .redirectErrorStream(true).start();
            String out = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed: " + out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill -" + signal, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted sending SIG" + signal + " to " + id, e);
        }
    }

    /** Whether the process is alive (paused counts as alive). */
    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Whether the process is alive and not paused: it can answer. */
    public synchronized boolean isServing() {
        return isRunning() && !paused;
    }

    /** Whether the process is stopped with SIGSTOP. */
    public synchronized boolean isPaused() {
        return paused;
    }

    /** The exit code of the last run, if it exited. */
    public synchronized java.util.OptionalInt exitCode() {
        return process == null || process.isAlive() ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(process.exitValue());
    }

    /** The node id. */
    public String id() {
        return id;
    }

    /** The API port on 127.0.0.1. */
    public int apiPort() {
        return apiPort;
    }

    /** The raft port on 127.0.0.1. */
    public int raftPort() {
        return raftPort;
    }

    /** {@code http://127.0.0.1:port} of the API. */
    public String apiUrl() {
        return client.baseUrl();
    }

    /** {@code 127.0.0.1:port} of the raft port. */
    public String raftAddress() {
        return "127.0.0.1:" + raftPort;
    }

    /** The data directory. */
    public Path dataDir() {
        return dataDir;
    }

    /** A client of this node's API. */
    public NodeClient client() {
        return client;
    }

    /** Bytes in the log file so far; with {@link #logSince} a test reads what one run logged. */
    public long logSize() {
        try {
            return Files.exists(logFile) ? Files.size(logFile) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The log from byte {@code offset} on. */
    public String logSince(long offset) {
        try (RandomAccessFile f = new RandomAccessFile(logFile.toFile(), "r")) {
            long length = f.length();
            byte[] bytes = new byte[(int) Math.max(0, length - offset)];
            f.seek(Math.min(offset, length));
            f.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The last {@code lines} lines of the log. */
    public String logTail(int lines) {
        long size = logSize();
        String text = logSince(Math.max(0, size - 400L * lines));
        String[] all = text.split("\n", -1);
        int from = Math.max(0, all.length - lines - 1);
        return String.join("\n", java.util.Arrays.copyOfRange(all, from, all.length));
    }

    @Override
    public String toString() {
        return id;
    }
}
