package dev.skiff.storage.dynamo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.discovery.Member;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/** The discovery table on the DynamoDB emulator: registration, expiry, the bootstrap lock. */
class DynamoDiscoveryTest extends dev.skiff.discovery.DiscoveryContract {

    private static DynamoDbClient client;
    private static String table;
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2030-01-01T00:00:00Z"));
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    };

    @BeforeAll
    static void createTable() throws IOException {
        client = DynamoEmulator.get().client();
        table = DynamoEmulator.uniqueName("discovery");
        DynamoTables.ensure(client, table, true, true);
    }

    private DynamoDiscovery discovery(String cluster) {
        return new DynamoDiscovery(client, false, table, cluster, Duration.ofSeconds(30), clock);
    }

    private static Member member(String id, int port) {
        return new Member(id, "127.0.0.1:" + (9000 + port), "127.0.0.1:" + (8000 + port), Instant.EPOCH);
    }

    @Test
    void when_nodesRegister_then_membersListsThemWithTheirAddresses() throws IOException {
        DynamoDiscovery d = discovery(DynamoEmulator.uniqueName("c"));
        d.register(member("n1", 1));
        d.register(member("n2", 2));
        assertThat(d.members()).extracting(Member::id, Member::raftAddress, Member::apiAddress)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("n1", "127.0.0.1:9001", "127.0.0.1:8001"),
                        org.assertj.core.groups.Tuple.tuple("n2", "127.0.0.1:9002", "127.0.0.1:8002"));
        assertThat(d.members()).allSatisfy(m -> assertThat(m.heartbeat()).isEqualTo(now.get()));
    }

    @Test
    void when_heartbeatStopsForLongerThanTheTtl_then_theMemberIsNoLongerLive() throws IOException {
        DynamoDiscovery d = discovery(DynamoEmulator.uniqueName("c"));
        d.register(member("n1", 1));
        d.register(member("n2", 2));
        now.set(now.get().plusSeconds(20));
        d.register(member("n2", 2));
        now.set(now.get().plusSeconds(11)); // n1: 31 s since its heartbeat; n2: 11 s
        assertThat(d.members()).extracting(Member::id).containsExactly("n2");
        d.register(member("n1", 1));
        assertThat(d.members()).extracting(Member::id).containsExactlyInAnyOrder("n1", "n2");
    }

    @Test
    void when_nodeReRegistersOnNewAddresses_then_onlyTheNewOnesAreListed() throws IOException {
        DynamoDiscovery d = discovery(DynamoEmulator.uniqueName("c"));
        d.register(member("n1", 1));
        d.register(member("n1", 7));
        assertThat(d.members()).extracting(Member::id, Member::raftAddress)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("n1", "127.0.0.1:9007"));
    }

    @Test
    void when_deregistered_then_gone_and_otherClustersAreUntouched() throws IOException {
        String cluster = DynamoEmulator.uniqueName("c");
        DynamoDiscovery d = discovery(cluster);
        DynamoDiscovery other = discovery(cluster + "-other");
        d.register(member("n1", 1));
        other.register(member("n1", 1));
        d.deregister("n1");
        assertThat(d.members()).isEmpty();
        assertThat(other.members()).extracting(Member::id).containsExactly("n1");
    }

    @Test
    void when_manyNodesContendForTheBootstrapLock_then_exactlyOneWinsAndAllAgree() throws Exception {
        String cluster = DynamoEmulator.uniqueName("c");
        int contenders = 8;
        ExecutorService pool = Executors.newFixedThreadPool(contenders);
        try {
            List<Callable<String>> tasks = new ArrayList<>();
            for (int i = 1; i <= contenders; i++) {
                String id = "n" + i;
                DynamoDiscovery d = discovery(cluster);
                tasks.add(() -> d.acquireBootstrapLock(id));
            }
            Set<String> holders = new HashSet<>();
            for (Future<String> f : pool.invokeAll(tasks)) {
                holders.add(f.get());
            }
            assertThat(holders).as("every contender names the same holder").hasSize(1);
            String winner = holders.iterator().next();
            DynamoDiscovery d = discovery(cluster);
            assertThat(d.bootstrapLockHolder()).contains(winner);
            assertThat(d.acquireBootstrapLock(winner)).as("asking again is idempotent").isEqualTo(winner);
            assertThat(d.acquireBootstrapLock("late")).isEqualTo(winner);
            System.out.println("bootstrap lock: " + contenders + " contenders, 1 winner (" + winner + ")");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void when_lockNeverTaken_then_noHolder() throws IOException {
        assertThat(discovery(DynamoEmulator.uniqueName("c")).bootstrapLockHolder()).isEmpty();
    }

    @Override
    protected dev.skiff.discovery.Discovery newTable() {
        return discovery(DynamoEmulator.uniqueName("leader"));
    }
}
