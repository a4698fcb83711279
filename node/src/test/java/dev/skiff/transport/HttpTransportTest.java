package dev.skiff.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import dev.skiff.raft.MessageHandler;
import dev.skiff.raft.message.AppendEntries;
import dev.skiff.raft.message.ForwardedProposalsResponse;
import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.RaftMessage;
import dev.skiff.raft.message.RequestVote;
import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.SameThreadExecutor;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** HttpTransport behaviour beyond the {@link dev.skiff.raft.contract.TransportContract}. */
class HttpTransportTest {

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose.reversed()) {
            c.close();
        }
    }

    @Test
    void heartbeatsAndVotesOvertakeAppendsThatAPeerIsSlowToAccept() throws Exception {
        // A peer that never answers requests carrying entries (a stalled disk or link) but
        // answers small messages at once.
        List<RaftMessage> small = new CopyOnWriteArrayList<>();
        ConcurrentLinkedQueue<HttpServerExchange> held = new ConcurrentLinkedQueue<>();
        Undertow peer = Undertow.builder().addHttpListener(0, "127.0.0.1").setIoThreads(1)
                .setHandler(exchange -> exchange.getRequestReceiver().receiveFullBytes((ex, body) -> {
                    List<RaftMessage> batch = MessageCodec.decodeBatch(body);
                    if (batch.stream().anyMatch(m -> m instanceof AppendEntries a && !a.entries().isEmpty())) {
                        hold(ex, held);
                    } else {
                        small.addAll(batch);
                        ex.setStatusCode(204);
                        ex.endExchange();
                    }
                })).build();
        peer.start();
        toClose.add(() -> {
            held.forEach(HttpServerExchange::endExchange);
            peer.stop();
        });
        String peerAddress = "127.0.0.1:" + ((InetSocketAddress) peer.getListenerInfo().getFirst().getAddress()).getPort();
        HttpTransport leader = started(HttpTransportConfig.defaults("127.0.0.1:0"), new RecordingHandler());

        for (int i = 1; i <= 50; i++) {
            leader.send(peerAddress, new AppendEntries(2, "l", leader.localAddress(), "f", i - 1, 2,
                    List.of(new LogEntry(i, 2, LogType.COMMAND, new byte[64 * 1024])), 0, 0));
        }
        await().atMost(Duration.ofSeconds(10))
                .until(() -> held.size() == HttpTransportConfig.DEFAULT_MAX_INFLIGHT_ENTRIES);
        AppendEntries heartbeat = new AppendEntries(2, "l", leader.localAddress(), "f", 0, 0, List.of(), 0, 0);
        RequestVote vote = new RequestVote(3, "l", leader.localAddress(), "f", 50, 2, false, false);
        leader.send(peerAddress, heartbeat);
        leader.send(peerAddress, vote);

        await().atMost(Duration.ofSeconds(10)).until(() -> small.size() == 2);
        assertThat(small).containsExactlyInAnyOrder(heartbeat, vote);
        assertThat(held).hasSize(HttpTransportConfig.DEFAULT_MAX_INFLIGHT_ENTRIES);
    }

    @Test
    void messagesOfOneStepToOnePeerLeaveAsOneRequestWhenTheAppendIsSmallAndAsTwoWhenItIsLarge() throws Exception {
        RecordingHandler atPeer = new RecordingHandler();
        HttpTransport peer = started(HttpTransportConfig.defaults("127.0.0.1:0"), atPeer);
        HttpTransport leader = started(HttpTransportConfig.defaults("127.0.0.1:0"), new RecordingHandler());
        ForwardedProposalsResponse answer = new ForwardedProposalsResponse(2, "l", leader.localAddress(), "f", 7, 11, "");
        AppendEntries small = new AppendEntries(2, "l", leader.localAddress(), "f", 10, 2,
                List.of(new LogEntry(11, 2, LogType.COMMAND, new byte[100])), 10, 0);

        leader.send(peer.localAddress(), List.of(answer, small));

        await().atMost(Duration.ofSeconds(10)).until(() -> atPeer.messages.size() == 2);
        assertThat(atPeer.messages).containsExactlyInAnyOrder(answer, small);
        assertThat(leader.sentRequests()).isEqualTo(1);

        AppendEntries large = new AppendEntries(2, "l", leader.localAddress(), "f", 11, 2,
                List.of(new LogEntry(12, 2, LogType.COMMAND, new byte[(int) PeerChannel.MAX_CARRIED_ENTRY_BYTES + 1])), 10, 0);
        leader.send(peer.localAddress(), List.of(answer, large));

        await().atMost(Duration.ofSeconds(10)).until(() -> atPeer.messages.size() == 4);
        assertThat(leader.sentRequests()).isEqualTo(3);
    }

    @Test
    void aFullQueueDropsAndCountsInsteadOfGrowing() throws Exception {
        // One in flight and a queue of 4: of 100 messages sent to a peer that holds every
        // request, 1 is in flight, 4 wait, 95 are dropped.
        ConcurrentLinkedQueue<HttpServerExchange> held = new ConcurrentLinkedQueue<>();
        Undertow peer = Undertow.builder().addHttpListener(0, "127.0.0.1").setIoThreads(1)
                .setHandler(exchange -> exchange.getRequestReceiver().receiveFullBytes((ex, body) -> hold(ex, held)))
                .build();
        peer.start();
        toClose.add(() -> {
            held.forEach(HttpServerExchange::endExchange);
            peer.stop();
        });
        String peerAddress = "127.0.0.1:" + ((InetSocketAddress) peer.getListenerInfo().getFirst().getAddress()).getPort();
        HttpTransport leader = started(HttpTransportConfig.defaults("127.0.0.1:0").withFlowControl(4, 1, 1),
                new RecordingHandler());

        for (int i = 0; i < 100; i++) {
            leader.send(peerAddress, new RequestVote(3, "l", leader.localAddress(), "f", i, 2, true, false));
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> held.size() == 1);
        assertThat(leader.droppedMessages()).isEqualTo(95);
    }

    @Test
    void aDeadPeerIsRetriedWithBackoffNotInASpinAndIsReachedOnceItStarts() throws Exception {
        int port = HttpTransportContractTest.freePort();
        String peerAddress = "127.0.0.1:" + port;
        HttpTransport leader = started(HttpTransportConfig.defaults("127.0.0.1:0"), new RecordingHandler());
        AppendEntries heartbeat = new AppendEntries(2, "l", leader.localAddress(), "f", 0, 0, List.of(), 0, 0);

        for (int i = 0; i < 20_000; i++) {
            leader.send(peerAddress, heartbeat);
        }
        // Generous: on a loaded 2-core machine the sender thread can be starved for seconds; the
        // backoff is judged by the number of attempts below, not by the time taken.
        await().atMost(Duration.ofSeconds(30))
                .until(() -> leader.failedMessages() + leader.droppedMessages() == 20_000);
        long attempts = leader.failedMessages();
        System.out.println("dead peer: 20000 sends, " + attempts + " connection attempts, "
                + leader.droppedMessages() + " dropped");
        assertThat(attempts).isBetween(1L, 40L);

        RecordingHandler peerHandler = new RecordingHandler();
        started(HttpTransportConfig.defaults("127.0.0.1:" + port), peerHandler);
        // Raft keeps sending heartbeats; one of them, after the backoff, is the probe that gets through.
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20)).until(() -> {
            leader.send(peerAddress, heartbeat);
            return !peerHandler.messages.isEmpty();
        });
    }

    @Test
    void backoffDoublesFromTheMinimumUpToTheMaximum() {
        HttpTransportConfig config = HttpTransportConfig.defaults("127.0.0.1:0")
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofMillis(50), Duration.ofSeconds(2));

        long[] boundsMillis = new long[8];
        for (int failures = 1; failures <= boundsMillis.length; failures++) {
            boundsMillis[failures - 1] = TimeUnit.NANOSECONDS.toMillis(PeerChannel.backoffBoundNanos(config, failures));
        }

        assertThat(boundsMillis).containsExactly(50, 100, 200, 400, 800, 1600, 2000, 2000);
        assertThat(PeerChannel.backoffBoundNanos(config, Integer.MAX_VALUE)).isEqualTo(Duration.ofSeconds(2).toNanos());
    }

    @Test
    void aSnapshotToAPeerWithAnotherSecretFailsItsFuture() throws Exception {
        HttpTransport peer = started(HttpTransportConfig.defaults("127.0.0.1:0").withSecret(ClusterSecret.of("one")),
                new RecordingHandler());
        HttpTransport leader = started(HttpTransportConfig.defaults("127.0.0.1:0").withSecret(ClusterSecret.of("two")),
                new RecordingHandler());
        var snapshot = new dev.skiff.raft.OpenSnapshot(
                new dev.skiff.raft.SnapshotMeta("s", 5, 1, dev.skiff.raft.Configuration.EMPTY, 0, 3, ""),
                new java.io.ByteArrayInputStream(new byte[] {1, 2, 3}));
        var header = new InstallSnapshot(1, "l", leader.localAddress(), "f", snapshot.meta());

        var transfer = leader.sendSnapshot(peer.localAddress(), header, snapshot);

        await().atMost(Duration.ofSeconds(10)).until(transfer::isDone);
        // The peer's proof fails first: the leader sends it neither its proof nor the snapshot.
        assertThatThrownBy(transfer::join).hasMessageContaining("does not prove the cluster secret");
        assertThat(peer.refusedRequests()).isZero();
    }

    @Test
    void aSnapshotWhoseDataDisagreesWithItsHeaderFailsOnBothSides() throws Exception {
        HttpTransport peer = started(HttpTransportConfig.defaults("127.0.0.1:0"), new RecordingHandler());
        HttpTransport leader = started(HttpTransportConfig.defaults("127.0.0.1:0"), new RecordingHandler());
        List<Long> storedSizes = new CopyOnWriteArrayList<>();
        HttpTransport counting = started(HttpTransportConfig.defaults("127.0.0.1:0"), new RecordingHandler() {
            @Override
            public void onSnapshot(InstallSnapshot header, InputStream data) throws IOException {
                storedSizes.add(data.transferTo(java.io.OutputStream.nullOutputStream()));
            }
        });
        int claimed = 200_000;

        var tooLong = leader.sendSnapshot(counting.localAddress(), snapshotHeader(leader, claimed),
                snapshotOf(claimed, claimed + 1));
        var tooShort = leader.sendSnapshot(counting.localAddress(), snapshotHeader(leader, claimed),
                snapshotOf(claimed, claimed - 1));

        await().atMost(Duration.ofSeconds(20)).until(() -> tooLong.isDone() && tooShort.isDone());
        assertThatThrownBy(tooLong::join).hasMessageContaining("has more than 200000 bytes of data, but its header says 200000");
        assertThatThrownBy(tooShort::join).hasMessageContaining("has only 199999 bytes of data");
        assertThat(storedSizes).isEmpty();
        assertThat(peer.deliveredMessages()).isZero();
    }

    private static InstallSnapshot snapshotHeader(HttpTransport from, long size) {
        return new InstallSnapshot(1, "l", from.localAddress(), "f",
                new dev.skiff.raft.SnapshotMeta("s", 5, 1, dev.skiff.raft.Configuration.EMPTY, 0, size, ""));
    }

    private static dev.skiff.raft.OpenSnapshot snapshotOf(long claimed, int actual) {
        return new dev.skiff.raft.OpenSnapshot(
                new dev.skiff.raft.SnapshotMeta("s", 5, 1, dev.skiff.raft.Configuration.EMPTY, 0, claimed, ""),
                new java.io.ByteArrayInputStream(new byte[actual]));
    }

    @Test
    void startTwiceAPortInUseAndABadConfigAreRefusedByName() throws Exception {
        HttpTransport t = started(HttpTransportConfig.defaults("127.0.0.1:0"), new RecordingHandler());

        assertThatThrownBy(() -> t.start(new RecordingHandler())).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> started(HttpTransportConfig.defaults(t.localAddress()), new RecordingHandler()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("cannot listen for raft traffic on " + t.localAddress());
        assertThatThrownBy(() -> new HttpTransport(HttpTransportConfig.defaults("no-port")))
                .hasMessageContaining("bindAddress must be host:port");
        assertThatThrownBy(() -> new HttpTransport(HttpTransportConfig.defaults("127.0.0.1:0").withFlowControl(0, 1, 1)))
                .hasMessageContaining("maxQueuedPerLane must be >= 1");
    }

    @Test
    void undertowLogsThroughSlf4j() throws Exception {
        started(HttpTransportConfig.defaults("127.0.0.1:0"), new RecordingHandler());

        assertThat(org.jboss.logging.Logger.getLogger("io.undertow").getClass().getSimpleName()).startsWith("Slf4j");
    }

    /**
     * Not a speed assertion: prints the round trip of a small message over loopback (A sends,
     * B's handler answers, A receives), so a regression is visible in the build log.
     */
    @Test
    void measureRoundTripOfASmallMessage() throws Exception {
        BlockingQueue<RaftMessage> atA = new ArrayBlockingQueue<>(16);
        HttpTransport a = started(HttpTransportConfig.defaults("127.0.0.1:0"), new RecordingHandler() {
            @Override
            public void onMessage(RaftMessage message) {
                atA.add(message);
            }
        });
        HttpTransport[] b = new HttpTransport[1];
        b[0] = started(HttpTransportConfig.defaults("127.0.0.1:0"), new RecordingHandler() {
            @Override
            public void onMessage(RaftMessage message) {
                b[0].send(message.fromAddress(), message);
            }
        });
        AppendEntries heartbeat = new AppendEntries(2, "a", a.localAddress(), "b", 0, 0, List.of(), 0, 0);
        int warmup = 2_000;
        int measured = 2_000;
        long[] micros = new long[measured];

        for (int i = 0; i < warmup + measured; i++) {
            long start = System.nanoTime();
            a.send(b[0].localAddress(), heartbeat);
            assertThat(atA.poll(10, TimeUnit.SECONDS)).isEqualTo(heartbeat);
            if (i >= warmup) {
                micros[i - warmup] = (System.nanoTime() - start) / 1_000;
            }
        }

        Arrays.sort(micros);
        System.out.println("http round trip (send -> peer handler -> send back -> handler), " + measured
                + " samples: p50 " + micros[measured / 2] + " us, p99 " + micros[measured * 99 / 100] + " us, max "
                + micros[measured - 1] + " us");
    }

    /** Keeps the exchange open without an answer: a dispatched exchange is not ended on return. */
    private static void hold(HttpServerExchange exchange, ConcurrentLinkedQueue<HttpServerExchange> held) {
        exchange.dispatch(SameThreadExecutor.INSTANCE, () -> held.add(exchange));
    }

    private HttpTransport started(HttpTransportConfig config, MessageHandler handler) throws IOException {
        HttpTransport t = new HttpTransport(config);
        toClose.add(t);
        t.start(handler);
        return t;
    }

    /** Records messages; drains snapshots. */
    static class RecordingHandler implements MessageHandler {
        final List<RaftMessage> messages = new CopyOnWriteArrayList<>();

        @Override
        public void onMessage(RaftMessage message) {
            messages.add(message);
        }

        @Override
        public void onSnapshot(InstallSnapshot header, InputStream data) throws IOException {
            data.transferTo(java.io.OutputStream.nullOutputStream());
        }
    }
}
