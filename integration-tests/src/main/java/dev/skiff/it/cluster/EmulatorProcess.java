package dev.skiff.it.cluster;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * An AWS emulator in a JVM of its own on a fixed 127.0.0.1 port, over a data directory that
 * survives {@link #kill9()}: the open-source DynamoDB emulator (http4k-connect's fake, run by
 * {@code dev.skiff.emulators.DynamoDbEmulator}, which writes every table to its directory
 * before it answers) or S3Proxy (a file-system blob store), from the jars that
 * {@code mvn -pl emulators package} puts in {@code emulators/target/emulators/dynamodb} and
 * {@code .../s3proxy}.
 *
 * <p>Processes rather than in-JVM servers so that a test can take a service away the way an
 * outage does: {@link #kill9()} (down: connections refused), {@link #pause()} (hung:
 * connections accepted, no answers), and {@link #start()} again on the same port with the
 * same data; and so that the emulators' own libraries (Kotlin, Jackson, Jetty) stay off the
 * test's class path.
 *
 * <p>Thread-safe: the lifecycle methods are synchronized. A JVM shutdown hook destroys a
 * process still alive when the JVM exits.
 */
public final class EmulatorProcess implements AutoCloseable {

    /** System property naming the emulators directory (set by the integration-tests pom). */
    public static final String DIR_PROPERTY = "skiff.emulators.dir";
    private static final String DYNAMO_MAIN = "dev.skiff.emulators.DynamoDbEmulator";

    private final String name;
    private final int port;
    private final List<String> command;
    private final Path logFile;
    private Process process;

    private EmulatorProcess(String name, int port, List<String> command, Path logFile) {
        this.name = name;
        this.port = port;
        this.command = List.copyOf(command);
        this.logFile = logFile;
    }

    /** The emulators directory, or an error that says how to build it. */
    public static Path emulatorsDir() {
        String dir = System.getProperty(DIR_PROPERTY);
        Path path = dir == null ? null : Path.of(dir);
        if (path == null || !Files.isDirectory(path.resolve("s3proxy")) || !Files.isDirectory(path.resolve("dynamodb"))) {
            throw new IllegalStateException("the AWS emulators are not built (" + DIR_PROPERTY + "=" + dir
                    + "): run 'mvn -pl emulators package' first, or the whole build ('bin/test')");
        }
        return path;
    }

    /** The DynamoDB emulator over {@code dataDir} (its tables, kept across restarts and {@code kill -9}). */
    public static EmulatorProcess dynamoDb(Path dataDir, Path logFile) {
        Path dir = emulatorsDir().resolve("dynamodb");
        int port = FreePorts.next();
        List<String> cmd = java();
        cmd.addAll(List.of("-cp", dir.resolve("*").toString(), DYNAMO_MAIN,
                "--port", Integer.toString(port), "--data-dir", created(dataDir).toString()));
        return new EmulatorProcess("DynamoDB emulator", port, cmd, logFile);
    }

    /** S3Proxy over a file-system blob store in {@code dataDir}, no authentication, kept across restarts. */
    public static EmulatorProcess s3Proxy(Path dataDir, Path logFile) {
        Path jar;
        try (var jars = Files.list(emulatorsDir().resolve("s3proxy"))) {
            jar = jars.filter(p -> p.toString().endsWith(".jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no S3Proxy jar in " + emulatorsDir().resolve("s3proxy")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int port = FreePorts.next();
        Path properties = created(dataDir).resolveSibling(dataDir.getFileName() + ".properties");
        String config = String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=none",
                // The SDK's headers S3Proxy 2.6 does not know (ENVIRONMENT.md).
                "s3proxy.ignore-unknown-headers=true",
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + created(dataDir.resolve("blobs")),
                "jclouds.identity=test",
                "jclouds.credential=test", "");
        try {
            Files.writeString(properties, config, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> cmd = java();
        cmd.addAll(List.of("-DLOG_LEVEL=warn", "-jar", jar.toString(), "--properties", properties.toString()));
        return new EmulatorProcess("S3Proxy", port, cmd, logFile);
    }

    /**
     * The environment that points a node's AWS SDK at the DynamoDB emulator and S3Proxy: endpoint
     * overrides, a region, any credentials, and the checksum mode S3Proxy needs.
     */
    public static Map<String, String> awsEnvironment(EmulatorProcess dynamo, EmulatorProcess s3) {
        return Map.of(
                "AWS_ENDPOINT_URL_DYNAMODB", dynamo.endpoint().toString(),
                "AWS_ENDPOINT_URL_S3", s3.endpoint().toString(),
                "AWS_REGION", "us-east-1",
                "AWS_ACCESS_KEY_ID", "test",
                "AWS_SECRET_ACCESS_KEY", "test",
                "AWS_REQUEST_CHECKSUM_CALCULATION", "when_required",
                "AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required",
                "SKIFF_S3_PATH_STYLE", "true");
    }

    /** {@code http://127.0.0.1:port}, the same across restarts. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** Starts the process (again) and waits until its port accepts connections. */
    public synchronized EmulatorProcess start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is already running");
        }
        try {
            Files.createDirectories(logFile.getParent());
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
        Process started = process;
        Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly, "emulator-reaper"));
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .failFast(name + " exited; see " + logFile, () -> !started.isAlive())
                .until(this::accepting);
        return this;
    }

    /** SIGKILL, then waits until the process is gone: the service is down, connections are refused. */
    public synchronized void kill9() {
        if (process == null) {
            return;
        }
        resumeQuietly();
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(name + " did not die");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** SIGSTOP: the service hangs (connections are accepted by the kernel, nothing answers). */
    public synchronized void pause() {
        signal("STOP");
    }

    /** SIGCONT after {@link #pause()}. */
    public synchronized void resume() {
        signal("CONT");
    }

    private void resumeQuietly() {
        if (process.isAlive()) {
            signal("CONT");
        }
    }

    private void signal(String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private boolean accepting() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        kill9();
    }

    @Override
    public String toString() {
        return name + " " + endpoint();
    }

    private static List<String> java() {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return new ArrayList<>(List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:-UsePerfData"));
    }

    private static Path created(Path dir) {
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
