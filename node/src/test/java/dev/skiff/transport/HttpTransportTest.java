package dev.skiff.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.skiff.FreePorts;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import dev.skiff.raft.MessageHandler;
import dev.skiff.raft.message.AppendEntries;
import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.RaftMessage;
import dev.skiff.raft.message.RequestVote;
import io.undertow.Undertow;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
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
    void heartbeatsAndVotesOvertakeAppendsThatAPeerStoppedReadingAndTheQueueStaysBounded() throws Exception {
        // A peer that stops reading the stream carrying entries (a stalled disk or link) but
        // keeps reading the one with small messages.
        HoldingStreamPeer peer = new HoldingStreamPeer(batch -> batch.stream()
                .anyMatch(m -> m instanceof AppendEntries a && !a.entries().isEmpty()));
        toClose.add(peer);
        HttpTransport leader = started(HttpTransportConfig.defaults("127.0.0.1:0").withMaxQueuedPerLane(4),
                new RecordingHandler());

        // First the stream: the peer holds it once this append arrived. (While a stream opens, the queue
        // may fill and drop for that reason instead, which is not what this test is about.)
        leader.send(peer.address(), append(leader, 1, 1 << 20));
        await().atMost(Duration.ofSeconds(10)).until(() -> peer.held.size() == 1);
        // Until the socket buffers are full and the write blocks: then 4 wait and the rest is dropped.
        for (int i = 2; leader.droppedMessages() == 0; i++) {
            leader.send(peer.address(), append(leader, i, 1 << 20));
            Thread.sleep(1);
        }
        long dropped = leader.droppedMessages();
        for (int i = 0; i < 10; i++) {
            leader.send(peer.address(), append(leader, 1000 + i, 1 << 20));
        }
        assertThat(leader.droppedMessages()).isEqualTo(dropped + 10);

        AppendEntries heartbeat = new AppendEntries(2, "l", leader.localAddress(), "f", 0, 0, List.of(), 0, 0);
        RequestVote vote = new RequestVote(3, "l", leader.localAddress(), "f", 50, 2, false, false);
        leader.send(peer.address(), heartbeat);
        leader.send(peer.address(), vote);

        await().atMost(Duration.ofSeconds(10)).until(() -> peer.received.contains(heartbeat) && peer.received.contains(vote));
        assertThat(peer.held).hasSize(1);
    }

    @Test
    void aPeerThatStopsReadingIsCutOffAfterTheRequestTimeoutAndReachedAgainOnANewStream() throws Exception {
        HoldingStreamPeer peer = new HoldingStreamPeer(batch -> batch.stream()
                .anyMatch(m -> m instanceof AppendEntries a && !a.entries().isEmpty()));
        toClose.add(peer);
        HttpTransport leader = started(HttpTransportConfig.defaults("127.0.0.1:0")
                .withTimeouts(Duration.ofSeconds(1), Duration.ofMillis(300), Duration.ofMillis(20), Duration.ofMillis(50)),
                new RecordingHandler());

        // Keep appending: the write that blocks is aborted, the peer counts as down for a backoff,
        // then the next append opens a new stream, which the peer reads until it holds that one too.
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5)).until(() -> {
            leader.send(peer.address(), append(leader, 1, 1 << 20));
            return peer.held.size() >= 2;
        });
        assertThat(leader.failedMessages()).isPositive();
    }

    @Test
    void framesLargerThanOneReadAndManySmallOnesArriveWholeAndInOrderWithASecret() throws Exception {
        ClusterSecret secret = ClusterSecret.of("s");
        RecordingHandler atPeer = new RecordingHandler();
        HttpTransport peer = started(HttpTransportConfig.defaults("127.0.0.1:0").withSecret(secret), atPeer);
        HttpTransport leader = started(HttpTransportConfig.defaults("127.0.0.1:0").withSecret(secret),
                new RecordingHandler());
        byte[] data = new byte[3 << 20];
        new java.util.Random(7).nextBytes(data);
        List<RaftMessage> small = new ArrayList<>();

        leader.send(peer.localAddress(), new AppendEntries(2, "l", leader.localAddress(), "f", 0, 2,
                List.of(new LogEntry(1, 2, LogType.COMMAND, data)), 0, 0));
        for (int i = 0; i < 500; i++) {
            RaftMessage heartbeat = new AppendEntries(2, "l", leader.localAddress(), "f", 0, 0, List.of(), i, 0);
            small.add(heartbeat);
            leader.send(peer.localAddress(), heartbeat);
        }

        await().atMost(Duration.ofSeconds(20)).until(() -> atPeer.messages.size() == 501);
        assertThat(atPeer.messages.stream().filter(m -> ((AppendEntries) m).entries().isEmpty()).toList())
                .containsExactlyElementsOf(small);
        AppendEntries large = (AppendEntries) atPeer.messages.stream()
                .filter(m -> !((AppendEntries) m).entries().isEmpty()).findFirst().orElseThrow();
        assertThat(large.entries().getFirst().data()).isEqualTo(data);
        assertThat(leader.failedMessages() + leader.droppedMessages() + peer.refusedRequests()).isZero();
    }

    @Test
    void onAnOpenStreamWithoutTlsTheSendingThreadWritesTheBatchItself() throws Exception {
        RecordingHandler atPeer = new RecordingHandler();
        HttpTransport peer = started(HttpTransportConfig.defaults("127.0.0.1:0"), atPeer);
        HttpTransport leader = started(HttpTransportConfig.defaults("127.0.0.1:0"), new RecordingHandler());
        List<RaftMessage> sent = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            sent.add(new AppendEntries(2, "l", leader.localAddress(), "f", 0, 0, List.of(), i, 0));
        }
        // The first opens the stream, on the lane's sender thread.
        leader.send(peer.localAddress(), sent.getFirst());
        await().atMost(Duration.ofSeconds(10)).until(() -> leader.deliveredMessages() == 1);

        // Then each is written before send returns: no hand-off to the sender thread (and its wake-up).
        for (RaftMessage m : sent.subList(1, sent.size())) {
            long before = leader.deliveredMessages();
            leader.send(peer.localAddress(), m);
            assertThat(leader.deliveredMessages()).isEqualTo(before + 1);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> atPeer.messages.size() == sent.size());
        assertThat(atPeer.messages).containsExactlyElementsOf(sent);
    }

    @Test
    void appendsThatOverfillTheSocketBuffersArriveWholeAndInOrderWithASecret() throws Exception {
        // 48 MiB sent at once: the sending thread's writes stop short (the socket buffers are
        // full), the sender thread writes each rest, and nothing may overtake a rest on the stream.
        ClusterSecret secret = ClusterSecret.of("s");
        RecordingHandler atPeer = new RecordingHandler();
        HttpTransport peer = started(HttpTransportConfig.defaults("127.0.0.1:0").withSecret(secret), atPeer);
        HttpTransport leader = started(HttpTransportConfig.defaults("127.0.0.1:0").withSecret(secret),
                new RecordingHandler());
        leader.send(peer.localAddress(), append(leader, 1, 16));
        await().atMost(Duration.ofSeconds(10)).until(() -> atPeer.messages.size() == 1);

        java.util.Random random = new java.util.Random(11);
        List<byte[]> data = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            byte[] bytes = new byte[1 << 20];
            random.nextBytes(bytes);
            data.add(bytes);
            leader.send(peer.localAddress(), new AppendEntries(2, "l", leader.localAddress(), "f", i + 1, 2,
                    List.of(new LogEntry(i + 2, 2, LogType.COMMAND, bytes)), 0, 0));
        }

        await().atMost(Duration.ofSeconds(30)).until(() -> atPeer.messages.size() == 49);
        for (int i = 0; i < 48; i++) {
            assertThat(((AppendEntries) atPeer.messages.get(i + 1)).entries().getFirst().data()).isEqualTo(data.get(i));
        }
        assertThat(leader.failedMessages() + leader.droppedMessages() + peer.refusedRequests()).isZero();
    }

    @Test
    void aStreamIdleForAMinuteIsClosedAndTheNextMessageOpensAnother() throws Exception {
        HoldingStreamPeer peer = new HoldingStreamPeer(batch -> false);
        toClose.add(peer);
        HttpTransport leader = started(HttpTransportConfig.defaults("127.0.0.1:0"), new RecordingHandler());
        AppendEntries first = new AppendEntries(2, "l", leader.localAddress(), "f", 0, 0, List.of(), 1, 0);
        AppendEntries second = new AppendEntries(2, "l", leader.localAddress(), "f", 0, 0, List.of(), 2, 0);

        leader.send(peer.address(), first);
        await().atMost(Duration.ofSeconds(10)).until(() -> peer.received.contains(first));
        leader.watchPeers(System.nanoTime() + PeerChannel.IDLE_STREAM_NANOS / 2);
        assertThat(peer.open()).as("not idle long enough").isEqualTo(1);
        leader.watchPeers(System.nanoTime() + PeerChannel.IDLE_STREAM_NANOS + 1_000_000_000L);
        await().atMost(Duration.ofSeconds(10)).until(() -> peer.open() == 0);

        leader.send(peer.address(), second);

        await().atMost(Duration.ofSeconds(10)).until(() -> peer.received.contains(second));
        assertThat(peer.accepted()).isEqualTo(2);
        assertThat(leader.failedMessages()).isZero();
    }

    /** A member removed from the cluster must not leave a channel and its two threads on every other member. */
    @Test
    void aChannelGivenNothingForTenMinutesIsClosedWithItsThreadsAndTheNextMessageOpensAnother() throws Exception {
        RecordingHandler atPeer = new RecordingHandler();
        HttpTransport peer = started(HttpTransportConfig.defaults("127.0.0.1:0"), atPeer);
        HttpTransport leader = started(HttpTransportConfig.defaults("127.0.0.1:0"), new RecordingHandler());
        AppendEntries first = new AppendEntries(2, "l", leader.localAddress(), "f", 0, 0, List.of(), 1, 0);
        AppendEntries second = new AppendEntries(2, "l", leader.localAddress(), "f", 0, 0, List.of(), 2, 0);

        leader.send(peer.localAddress(), first);
        await().atMost(Duration.ofSeconds(10)).until(() -> atPeer.messages.contains(first));
        assertThat(senderThreads(peer.localAddress())).isPositive();
        leader.watchPeers(System.nanoTime() + PeerChannel.IDLE_CHANNEL_NANOS / 2);
        assertThat(senderThreads(peer.localAddress())).as("not idle long enough").isPositive();

        leader.watchPeers(System.nanoTime() + PeerChannel.IDLE_CHANNEL_NANOS + 1_000_000_000L);
        await().atMost(Duration.ofSeconds(10)).until(() -> senderThreads(peer.localAddress()) == 0);

        leader.send(peer.localAddress(), second);
        await().atMost(Duration.ofSeconds(10)).until(() -> atPeer.messages.contains(second));
        assertThat(senderThreads(peer.localAddress())).isPositive();
        assertThat(leader.failedMessages() + leader.droppedMessages()).isZero();
    }

    private static long senderThreads(String address) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("skiff-raft-send-" + address + "-"))
                .count();
    }

    @Test
    void aPeerWithoutStreamsGetsItsMessagesAsRequests() throws Exception {
        // A node of a version before streams: 404 for the stream, batches by POST.
        List<RaftMessage> received = new CopyOnWriteArrayList<>();
        Undertow peer = Undertow.builder().addHttpListener(0, "127.0.0.1").setIoThreads(1)
                .setHandler(exchange -> {
                    if (!exchange.getRequestPath().equals(RaftRpcHandler.BATCH_PATH)) {
                        // As that version's RaftRpcHandler refuses: the answer at once, with a reason.
                        exchange.setStatusCode(404);
                        exchange.getResponseSender().send("no such raft endpoint: " + exchange.getRequestPath() + "\n");
                        return;
                    }
                    exchange.getRequestReceiver().receiveFullBytes((ex, body) -> {
                        received.addAll(MessageCodec.decodeBatch(body));
                        ex.setStatusCode(204);
                        ex.endExchange();
                    });
                }).build();
        peer.start();
        toClose.add(peer::stop);
        String peerAddress = "127.0.0.1:" + ((InetSocketAddress) peer.getListenerInfo().getFirst().getAddress()).getPort();
        HttpTransport leader = started(HttpTransportConfig.defaults("127.0.0.1:0"), new RecordingHandler());

        List<RaftMessage> sent = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            RaftMessage m = i % 2 == 0 ? append(leader, i, 100)
                    : new AppendEntries(2, "l", leader.localAddress(), "f", 0, 0, List.of(), 0, 0);
            sent.add(m);
            leader.send(peerAddress, m);
            Thread.sleep(2);
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 20);
        assertThat(received).containsExactlyInAnyOrderElementsOf(sent);
        assertThat(leader.failedMessages()).isZero();
    }

    private static AppendEntries append(HttpTransport from, long index, int bytes) {
        return new AppendEntries(2, "l", from.localAddress(), "f", index - 1, 2,
                List.of(new LogEntry(index, 2, LogType.COMMAND, new byte[bytes])), 0, 0);
    }

    @Test
    void aDeadPeerIsRetriedWithBackoffNotInASpinAndIsReachedOnceItStarts() throws Exception {
        int port = FreePorts.next();
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
        assertThatThrownBy(() -> new HttpTransport(HttpTransportConfig.defaults("127.0.0.1:0").withMaxQueuedPerLane(0)))
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
