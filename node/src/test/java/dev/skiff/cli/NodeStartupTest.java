package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.skiff.FreePorts;
import dev.skiff.raft.RaftConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A node that cannot start says why and what to do (issue #12): an unusable data directory
 * (a file, under a file, inside /proc, not writable) exits 2 naming {@code --data-dir}; a port
 * in use exits 1 naming the flag and the address. A node that starts keeps its data private:
 * directories 0700, files 0600, and a warning when an existing data directory is more open.
 */
class NodeStartupTest {

    @TempDir
    Path tmp;

    private static NodeSettings settings(Path data, HostPort api, HostPort raft) {
        return new NodeSettings("n1", api, raft, api, raft, data, data.resolve("snapshots"), true, List.of(), null,
                NodeSettings.DEFAULT_MAX_VALUE_BYTES, NodeSettings.DEFAULT_REQUEST_TIMEOUT, RaftConfig.defaults("n1"),
                StorageSettings.local());
    }

    private static NodeSettings settings(Path data) {
        return settings(data, new HostPort("127.0.0.1", FreePorts.next()), new HostPort("127.0.0.1", FreePorts.next()));
    }

    @Test
    void when_anEarlierRestoreFromWasInterrupted_then_theNodeRefusesToStartAndSaysWhatToDo() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("half-restored"));
        RestoreMarker.begin(data, URI.create("s3://backups/prod"));
        assertThatThrownBy(() -> SkiffNode.start(settings(data)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("an earlier --restore-from s3://backups/prod into " + data.toAbsolutePath()
                        + " was interrupted")
                .hasMessageContaining("Delete the data directory " + data.toAbsolutePath()
                        + " and start the node again with --restore-from s3://backups/prod");
        RestoreMarker.finish(data);
        try (SkiffNode node = SkiffNode.start(settings(data))) {
            assertThat(node.awaitLeader(Duration.ofSeconds(10))).isPresent();
        }
    }

    @Test
    void when_theDataDirIsAFile_then_startingFailsNamingTheFlagAndTheFix() throws IOException {
        Path file = Files.writeString(tmp.resolve("afile"), "x");
        assertThatThrownBy(() -> SkiffNode.start(settings(file)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--data-dir " + file + " is a file, not a directory; give the path of a directory "
                        + "(it is created if missing)");
        assertThatThrownBy(() -> SkiffNode.start(settings(file.resolve("sub"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--data-dir " + file.resolve("sub") + " cannot be created: " + file + " is a file, not a "
                        + "directory; give a path under a directory");
    }

    @Test
    void when_theDataDirIsInsideProcOrSys_then_theVirtualFileSystemIsNamed() {
        assertThatThrownBy(() -> SkiffNode.start(settings(Path.of("/proc/skiff"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--data-dir /proc/skiff is inside /proc, a virtual file system of the kernel that cannot hold "
                        + "files; give a directory on a disk, e.g. /var/lib/skiff/<id>");
        assertThatThrownBy(() -> SkiffNode.start(settings(Path.of("/sys/fs/skiff"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("--data-dir /sys/fs/skiff is inside /sys");
    }

    @Test
    void when_theDataDirIsNotWritable_then_theUserAndTheFixAreNamed() throws Exception {
        String user = System.getProperty("user.name");
        Path locked = Files.createDirectory(tmp.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-x------"));
        if (!Files.isWritable(locked)) {
            Path dir = locked.resolve("data");
            assertThatThrownBy(() -> SkiffNode.start(settings(dir)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("--data-dir " + dir + " cannot be created: permission denied on " + dir + " for user " + user
                            + "; create it and make it writable by that user, or give another --data-dir");
        }
        // Root writes through any mode; an immutable directory stops even root.
        Path immutable = Files.createDirectory(tmp.resolve("immutable"));
        Assumptions.assumeTrue(new ProcessBuilder("chattr", "+i", immutable.toString()).start().waitFor() == 0,
                "chattr +i works here");
        try {
            assertThatThrownBy(() -> SkiffNode.start(settings(immutable)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("--data-dir " + immutable + " is not writable by user " + user + " (Operation not permitted); "
                            + "make it writable by that user (chown/chmod, or chattr -i if it is immutable), or give another "
                            + "--data-dir");
        } finally {
            new ProcessBuilder("chattr", "-i", immutable.toString()).start().waitFor();
        }
    }

    @Test
    void when_thePortsAreInUse_then_theFlagTheAddressAndTheFixAreNamed() throws IOException {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            HostPort busy = new HostPort("127.0.0.1", taken.getLocalPort());
            HostPort free = new HostPort("127.0.0.1", FreePorts.next());
            assertThatThrownBy(() -> SkiffNode.start(settings(tmp.resolve("a"), busy, free)))
                    .isInstanceOf(IOException.class)
                    .hasMessage("cannot listen on " + busy + " for the client API (--api-addr): the address is already in use "
                            + "by another process (perhaps another skiff node); stop that process, or give --api-addr a free port");
            assertThatThrownBy(() -> SkiffNode.start(settings(tmp.resolve("b"), free, busy)))
                    .isInstanceOf(IOException.class)
                    .hasMessage("cannot listen on " + busy + " for Raft traffic (--raft-addr): the address is already in use "
                            + "by another process (perhaps another skiff node); stop that process, or give --raft-addr a free port");
        }
        // Nothing was left open: the same data directory starts.
        try (SkiffNode node = SkiffNode.start(settings(tmp.resolve("a")))) {
            assertThat(node.apiAddress()).startsWith("127.0.0.1:");
        }
    }

    @Test
    void when_theApiHostIsNotOnThisMachineOrDoesNotResolve_then_itIsAConfigurationError() {
        HostPort raft = new HostPort("127.0.0.1", FreePorts.next());
        assertThatThrownBy(() -> SkiffNode.start(settings(tmp.resolve("a"), new HostPort("192.0.2.1", FreePorts.next()), raft)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("for the client API (--api-addr): 192.0.2.1 is not an address of this machine; give one "
                        + "of its addresses, or 0.0.0.0 together with --advertise-api");
        assertThatThrownBy(() -> SkiffNode.start(settings(tmp.resolve("b"), new HostPort("no-such-host.invalid", 8001), raft)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the host name 'no-such-host.invalid' does not resolve");
    }

    @Test
    void when_aNodeWritesItsData_then_directoriesAre0700AndFiles0600() throws Exception {
        Path data = tmp.resolve("private").resolve("n1");
        try (SkiffNode node = SkiffNode.start(settings(data))) {
            node.awaitLeader(Duration.ofSeconds(10)).orElseThrow();
            HttpResponse<String> put = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://" + node.apiAddress() + "/v1/kv/secret"))
                    .PUT(HttpRequest.BodyPublishers.ofString("value")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
            node.raft.snapshot().get();
        }
        List<Path> all;
        try (Stream<Path> walk = Files.walk(data)) {
            all = walk.toList();
        }
        assertThat(all).extracting(p -> p.getFileName().toString())
                .contains("state.bin", "meta", "stable.bin")
                .anyMatch(name -> name.startsWith("log_inprogress_"));
        for (Path p : all) {
            String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
            assertThat(mode).as("%s", p).isEqualTo(Files.isDirectory(p) ? "rwx------" : "rw-------");
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("private")))).isEqualTo("rwx------");
    }

    @Test
    void when_anExistingDataDirIsOpenToOthers_then_oneWarningNamesItAndTheFix() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("open"));
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        Logger logger = (Logger) LoggerFactory.getLogger(NodeDirectories.class);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        logger.addAppender(events);
        try (SkiffNode ignored = SkiffNode.start(settings(data))) {
            assertThat(events.list).extracting(ILoggingEvent::getFormattedMessage)
                    .containsExactly("--data-dir " + data + " is open to other local users: 1 path(s) readable or enterable "
                            + "by group or others, e.g. " + data + " (rwxr-xr-x); they hold every key and value: fix with "
                            + "chmod -R go-rwx " + data);
        } finally {
            logger.detachAppender(events);
        }
        events.list.clear();
        logger.addAppender(events);
        Path closed = Files.createDirectories(tmp.resolve("closed"));
        Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
        try (SkiffNode ignored = SkiffNode.start(settings(closed))) {
            assertThat(events.list).isEmpty();
        } finally {
            logger.detachAppender(events);
        }
    }
}
