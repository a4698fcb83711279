package dev.skiff.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.kv.KvStateMachine;
import dev.skiff.raft.Configuration;
import dev.skiff.raft.InMemoryLogStore;
import dev.skiff.raft.InMemoryNetwork;
import dev.skiff.raft.InMemorySnapshotStore;
import dev.skiff.raft.InMemoryStableStore;
import dev.skiff.raft.Raft;
import dev.skiff.raft.RaftConfig;
import dev.skiff.raft.RaftState;
import dev.skiff.raft.Server;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A connection stays registered for reads while its put or read barrier is in flight
 * ({@link ReadInterest}): what a client sends early (a pipelined request, a half-close) is read
 * once the answer is out, in order, and the I/O thread does not spin on the bytes meanwhile. The
 * request stays in flight because the leader's only follower is cut off (two voters: no quorum).
 */
class ReadInterestTest {

    private static final String PUT_A = "PUT /v1/kv/a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfirst";

    private final InMemoryNetwork network = new InMemoryNetwork();
    private final List<Raft> rafts = new ArrayList<>();
    private final List<KvStateMachine> machines = new ArrayList<>();
    private Raft leader;
    private KvStateMachine leaderKv;
    private String followerAddress;
    private ApiServer api;

    @BeforeEach
    void start() throws Exception {
        Configuration voters = Configuration.of(Server.voter("n1", "n1:1"), Server.voter("n2", "n2:1"));
        for (String id : List.of("n1", "n2")) {
            // No check-quorum: the leader keeps its role while its follower is cut off.
            RaftConfig config = RaftConfig.defaults(id)
                    .withTimeouts(Duration.ofMillis(30), Duration.ofMillis(300), Duration.ofMillis(250))
                    .withElectionSafeguards(true, false);
            KvStateMachine kv = new KvStateMachine();
            Raft raft = Raft.create(config, kv, new InMemoryLogStore(), new InMemoryStableStore(), new InMemorySnapshotStore(2),
                    network.transport(id + ":1"));
            rafts.add(raft);
            machines.add(kv);
            raft.bootstrapCluster(voters).join();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> rafts.stream().anyMatch(r -> r.state() == RaftState.LEADER));
        leader = rafts.stream().filter(r -> r.state() == RaftState.LEADER).findFirst().orElseThrow();
        followerAddress = leader == rafts.get(0) ? "n2:1" : "n1:1";
        leaderKv = machines.get(rafts.indexOf(leader));
        api = new ApiServer("127.0.0.1", 0, "leader", leader, leaderKv, new InMemorySnapshotStore(2), new ApiMetrics(leader), 1 << 20,
                Duration.ofSeconds(10));
    }

    @AfterEach
    void stop() {
        if (api != null) {
            api.close();
        }
        rafts.forEach(r -> r.shutdown().join());
    }

    @Test
    void aRequestSentWhileAPutIsInFlightIsAnsweredAfterItWithoutASpinningThread() throws Exception {
        try (Socket socket = connect()) {
            network.isolate(followerAddress);
            send(socket, PUT_A);
            Thread.sleep(200); // the put is read and proposed; it cannot commit
            String answers = sendEarlyThenHeal(socket, "GET /v1/kv/a?consistency=stale HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(answers).startsWith("HTTP/1.1 200");
            assertThat(second(answers)).startsWith("HTTP/1.1 200").endsWith("first");
        }
    }

    @Test
    void aRequestSentWhileAConsistentReadWaitsIsAnsweredAfterItWithoutASpinningThread() throws Exception {
        try (Socket socket = connect()) {
            send(socket, PUT_A);
            assertThat(read(socket, 1)).startsWith("HTTP/1.1 200");
            network.isolate(followerAddress);
            send(socket, "GET /v1/kv/a?consistency=consistent HTTP/1.1\r\nHost: x\r\n\r\n");
            Thread.sleep(200); // the read waits for its read index: the follower's echo cannot come
            String answers = sendEarlyThenHeal(socket, "PUT /v1/kv/b HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nsecond");
            assertThat(answers).startsWith("HTTP/1.1 200");
            assertThat(answers.substring(0, answers.indexOf("HTTP/1.1", 1))).endsWith("first");
            assertThat(second(answers)).startsWith("HTTP/1.1 200");
        }
        assertThat(leaderKv.state().get("b")).isPresent();
    }

    @Test
    void aClientThatClosesItsSideWhileAPutIsInFlightStillGetsTheAnswer() throws Exception {
        try (Socket socket = connect()) {
            network.isolate(followerAddress);
            send(socket, PUT_A);
            Thread.sleep(200);
            socket.shutdownOutput();
            assertIoThreadsIdleFor(Duration.ofMillis(600));
            network.heal();
            assertThat(read(socket, 1)).startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (Socket socket = connect()) {
            send(socket, PUT_A + "PUT /v1/kv/b HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nsecond"
                    + "GET /v1/kv/b?consistency=consistent HTTP/1.1\r\nHost: x\r\n\r\n");
            String answers = read(socket, 3);
            assertThat(answers.split("HTTP/1.1 200", -1)).hasSize(4);
            assertThat(answers).endsWith("second");
        }
    }

    @Test
    void aBodyThatArrivesAfterItsHeadersIsReadAndARequestSentWhileItIsInFlightIsAnsweredAfterIt() throws Exception {
        try (Socket socket = connect()) {
            network.isolate(followerAddress);
            send(socket, "PUT /v1/kv/a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n");
            Thread.sleep(100); // Undertow waits for the body with a listener of its own
            send(socket, "later");
            Thread.sleep(200);
            String answers = sendEarlyThenHeal(socket, "GET /v1/kv/a?consistency=stale HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(answers).startsWith("HTTP/1.1 200");
            assertThat(second(answers)).startsWith("HTTP/1.1 200").endsWith("later");
        }
    }

    /**
     * Sends {@code early} while the request before it is in flight, checks that the I/O threads
     * stay idle meanwhile, lets the cluster commit again, and returns both answers.
     */
    private String sendEarlyThenHeal(Socket socket, String early) throws Exception {
        send(socket, early);
        assertIoThreadsIdleFor(Duration.ofMillis(600));
        network.heal();
        return read(socket, 2);
    }

    /** The second of two answers {@link #read} returned. */
    private static String second(String answers) {
        return answers.substring(answers.indexOf("HTTP/1.1", 1));
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(api.address().split(":")[1]));
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static void send(Socket socket, String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
    }

    /** Reads {@code responses} whole responses (each with a Content-Length) and returns them as text. */
    private static String read(Socket socket, int responses) throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int i = 0; i < responses; i++) {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("connection closed after: " + all + head);
                }
                head.write(b);
            }
            String headers = head.toString(StandardCharsets.US_ASCII);
            int at = headers.toLowerCase().indexOf("content-length:");
            int length = Integer.parseInt(headers.substring(at + 15, headers.indexOf("\r\n", at)).trim());
            all.writeBytes(head.toByteArray());
            all.writeBytes(in.readNBytes(length));
        }
        return all.toString(StandardCharsets.US_ASCII);
    }

    /**
     * Checks that the API's I/O threads use less than a third of {@code wall} in CPU time over
     * it: a thread spinning on a readable connection nobody reads would use all of it.
     */
    private static void assertIoThreadsIdleFor(Duration wall) throws InterruptedException {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long before = ioThreadsCpuNanos(threads);
        Thread.sleep(wall.toMillis());
        long used = ioThreadsCpuNanos(threads) - before;
        assertThat(used).as("CPU nanoseconds of the I/O threads over %s", wall).isLessThan(wall.toNanos() / 3);
    }

    private static long ioThreadsCpuNanos(ThreadMXBean threads) {
        long sum = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().startsWith("XNIO-") && info.getThreadName().contains("I/O")) {
                sum += Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
            }
        }
        return sum;
    }
}
