package dev.skiff.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileDiscoveryTest extends DiscoveryContract {

    @TempDir
    Path dir;
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2030-01-01T00:00:00Z"));
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    };

    private FileDiscovery discovery() throws IOException {
        return new FileDiscovery(dir, Duration.ofSeconds(30), clock);
    }

    private static Member member(String id, int port) {
        return new Member(id, "127.0.0.1:" + (9000 + port), "127.0.0.1:" + (8000 + port), Instant.EPOCH);
    }

    @Test
    void theTableDirectoryAndItsFilesAreOwnerOnly() throws IOException {
        Path table = dir.resolve("new-table");
        FileDiscovery d = new FileDiscovery(table, Duration.ofSeconds(30), clock);
        d.register(member("n1", 1));
        d.acquireBootstrapLock("n1");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(table)))
                .isEqualTo("rwx------");
        try (var files = Files.list(table)) {
            assertThat(files.toList()).isNotEmpty().allSatisfy(f -> assertThat(
                    java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
                    .as(f.toString()).isEqualTo("rw-------"));
        }
    }

    @Test
    void when_nodesRegister_then_everyTableOnTheDirectorySeesThem() throws IOException {
        discovery().register(member("n1", 1));
        discovery().register(member("ид/2", 2));
        assertThat(discovery().members()).extracting(Member::id, Member::raftAddress, Member::apiAddress, Member::heartbeat)
                .containsExactlyInAnyOrder(
                        Tuple.tuple("n1", "127.0.0.1:9001", "127.0.0.1:8001", now.get()),
                        Tuple.tuple("ид/2", "127.0.0.1:9002", "127.0.0.1:8002", now.get()));
    }

    @Test
    void when_heartbeatStopsForLongerThanTheTtl_then_theMemberIsNoLongerLive() throws IOException {
        FileDiscovery d = discovery();
        d.register(member("n1", 1));
        d.register(member("n2", 2));
        now.set(now.get().plusSeconds(25));
        d.register(member("n2", 2));
        now.set(now.get().plusSeconds(5)); // n1 exactly 30 s old: expired
        assertThat(d.members()).extracting(Member::id).containsExactly("n2");
    }

    @Test
    void when_nodeReRegistersOnNewAddresses_then_onlyTheNewOnesAreListed() throws IOException {
        FileDiscovery d = discovery();
        d.register(member("n1", 1));
        d.register(member("n1", 5));
        assertThat(d.members()).extracting(Member::raftAddress).containsExactly("127.0.0.1:9005");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).as("no temporary files left").noneMatch(n -> n.startsWith(".tmp"));
        }
    }

    @Test
    void when_deregistered_then_gone() throws IOException {
        FileDiscovery d = discovery();
        d.register(member("n1", 1));
        d.deregister("n1");
        d.deregister("n1");
        assertThat(d.members()).isEmpty();
    }

    @Test
    void when_manyNodesContendForTheBootstrapLock_then_exactlyOneWinsAndAllAgree() throws Exception {
        int contenders = 16;
        ExecutorService pool = Executors.newFixedThreadPool(contenders);
        try {
            List<Callable<String>> tasks = new ArrayList<>();
            for (int i = 1; i <= contenders; i++) {
                String id = "n" + i;
                FileDiscovery d = discovery();
                tasks.add(() -> d.acquireBootstrapLock(id));
            }
            Set<String> holders = new HashSet<>();
            for (Future<String> f : pool.invokeAll(tasks)) {
                holders.add(f.get());
            }
            assertThat(holders).hasSize(1);
            String winner = holders.iterator().next();
            assertThat(discovery().bootstrapLockHolder()).contains(winner);
            assertThat(discovery().acquireBootstrapLock("late")).isEqualTo(winner);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void when_openedFromAFileUri_then_itUsesThatDirectory() throws IOException {
        try (FileDiscovery d = FileDiscovery.open(dir.resolve("table").toUri())) {
            d.register(member("n1", 1));
        }
        assertThat(dir.resolve("table")).isDirectory();
        assertThatThrownBy(() -> FileDiscovery.open(URI.create("s3://bucket/x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--discovery");
    }

    @Override
    protected Discovery newTable() throws IOException {
        return discovery();
    }
}
