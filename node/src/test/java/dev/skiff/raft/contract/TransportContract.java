package dev.skiff.raft.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.skiff.raft.Configuration;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import dev.skiff.raft.MessageHandler;
import dev.skiff.raft.OpenSnapshot;
import dev.skiff.raft.Server;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.Transport;
import dev.skiff.raft.message.AppendEntries;
import dev.skiff.raft.message.AppendEntriesResponse;
import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.InstallSnapshotResponse;
import dev.skiff.raft.message.RaftMessage;
import dev.skiff.raft.message.RequestVote;
import dev.skiff.raft.message.RequestVoteResponse;
import dev.skiff.raft.message.TimeoutNow;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link Transport} must show, run against each implementation by a
 * subclass (in-memory, HTTP). A subclass supplies fresh transports that can reach each other
 * and an address where nothing listens.
 */
public abstract class TransportContract {

    /** 8 MiB: large enough that holding it whole, or a wrong chunk boundary, would show. */
    private static final int SNAPSHOT_BYTES = 8 << 20;

    private final List<Transport> opened = new ArrayList<>();

    /**
     * A new, unstarted transport that can reach every other transport this method returns
     * (the suite starts and closes it). Each has its own address.
     */
    protected abstract Transport newTransport() throws Exception;

    /** An address in this transport's address space where nothing listens. */
    protected abstract String unreachableAddress() throws Exception;

    @AfterEach
    void closeTransports() {
        opened.forEach(Transport::close);
    }

    @Test
    void everyMessageTypeArrivesIntact() throws Exception {
        Recorder received = new Recorder();
        Transport a = started(new Recorder());
        Transport b = started(received);
        List<RaftMessage> sent = oneOfEach(a.localAddress());

        sent.forEach(m -> a.send(b.localAddress(), m));

        await().atMost(Duration.ofSeconds(10)).until(() -> received.messages.size() >= sent.size());
        assertThat(received.messages).containsExactlyInAnyOrderElementsOf(sent);
    }

    @Test
    void pipelinedAppendsAllArriveOnAHealthyLink() throws Exception {
        Recorder received = new Recorder();
        Transport a = started(new Recorder());
        Transport b = started(received);
        List<RaftMessage> sent = new ArrayList<>();
        for (int i = 1; i <= 200; i++) {
            sent.add(new AppendEntries(3, "a", a.localAddress(), "b", i - 1, 3,
                    List.of(new LogEntry(i, 3, LogType.COMMAND, new byte[] {(byte) i})), i - 1, 0));
        }

        sent.forEach(m -> a.send(b.localAddress(), m));

        await().atMost(Duration.ofSeconds(20)).until(() -> received.messages.size() >= sent.size());
        assertThat(received.messages).containsExactlyInAnyOrderElementsOf(sent);
    }

    @Test
    void sendingToAnUnreachableAddressNeitherThrowsNorBlocks() throws Exception {
        Transport a = started(new Recorder());
        String nowhere = unreachableAddress();
        RaftMessage heartbeat = heartbeat(a.localAddress());
        TrackedSnapshot snapshot = new TrackedSnapshot(1, 1024);

        CompletableFuture<Void> transfer = assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            for (int i = 0; i < 1_000; i++) {
                a.send(nowhere, heartbeat);
            }
            return a.sendSnapshot(nowhere, snapshot.header(a.localAddress()), snapshot.open());
        });

        await().atMost(Duration.ofSeconds(15)).until(transfer::isDone);
        assertThat(transfer).isCompletedExceptionally();
        await().atMost(Duration.ofSeconds(5)).untilTrue(snapshot.closed);
    }

    @Test
    void aMultiMebibyteSnapshotArrivesByteIdenticalAndItsFutureCompletes() throws Exception {
        Recorder received = new Recorder();
        Transport a = started(new Recorder());
        Transport b = started(received);
        TrackedSnapshot snapshot = new TrackedSnapshot(42, SNAPSHOT_BYTES);
        InstallSnapshot header = snapshot.header(a.localAddress());

        CompletableFuture<Void> transfer = a.sendSnapshot(b.localAddress(), header, snapshot.open());

        await().atMost(Duration.ofSeconds(60)).until(transfer::isDone);
        assertThat(transfer).isCompleted().isNotCompletedExceptionally();
        assertThat(received.snapshots).hasSize(1);
        ReceivedSnapshot got = received.snapshots.getFirst();
        assertThat(got.header()).isEqualTo(header);
        assertThat(got.length()).isEqualTo(SNAPSHOT_BYTES);
        assertThat(got.sha256()).isEqualTo(snapshot.sha256());
        await().atMost(Duration.ofSeconds(5)).untilTrue(snapshot.closed);
    }

    @Test
    void aFailingReceiverFailsTheSnapshotFuture() throws Exception {
        Recorder failing = new Recorder();
        failing.failSnapshots = true;
        Transport a = started(new Recorder());
        Transport b = started(failing);
        TrackedSnapshot snapshot = new TrackedSnapshot(5, 256 * 1024);

        CompletableFuture<Void> transfer = a.sendSnapshot(b.localAddress(), snapshot.header(a.localAddress()),
                snapshot.open());

        await().atMost(Duration.ofSeconds(30)).until(transfer::isDone);
        assertThat(transfer).isCompletedExceptionally();
        await().atMost(Duration.ofSeconds(5)).untilTrue(snapshot.closed);
    }

    @Test
    void closeIsIdempotentAndStopsDelivery() throws Exception {
        Recorder received = new Recorder();
        Transport a = started(new Recorder());
        Transport b = started(received);
        String bAddress = b.localAddress();
        a.send(bAddress, heartbeat(a.localAddress()));
        await().atMost(Duration.ofSeconds(10)).until(() -> received.messages.size() == 1);

        b.close();
        b.close();
        a.send(bAddress, heartbeat(a.localAddress()));

        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> received.messages.size() == 1);

        a.close();
        a.close();
        TrackedSnapshot snapshot = new TrackedSnapshot(9, 1024);
        assertThatCode(() -> a.send(bAddress, heartbeat("x:1"))).doesNotThrowAnyException();
        CompletableFuture<Void> afterClose = a.sendSnapshot(bAddress, snapshot.header("x:1"), snapshot.open());
        await().atMost(Duration.ofSeconds(5)).until(afterClose::isDone);
        assertThat(afterClose).isCompletedExceptionally();
    }

    private Transport started(MessageHandler handler) throws Exception {
        Transport t = newTransport();
        opened.add(t);
        t.start(handler);
        return t;
    }

    private static AppendEntries heartbeat(String fromAddress) {
        return new AppendEntries(7, "a", fromAddress, "b", 10, 6, List.of(), 9, 4);
    }

    /** One message of every RaftMessage kind, with non-trivial fields. */
    static List<RaftMessage> oneOfEach(String fromAddress) {
        byte[] big = new byte[300_000];
        new SplittableRandom(3).nextBytes(big);
        Configuration configuration = Configuration.of(Server.voter("a", fromAddress),
                new Server("b", "10.1.2.3:9001", dev.skiff.raft.Suffrage.NONVOTER, "10.1.2.3:8001"));
        return List.of(
                new AppendEntries(7, "a", fromAddress, "b", 10, 6, List.of(
                        new LogEntry(11, 6, LogType.COMMAND, "put k v".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                        LogEntry.of(12, 7, LogType.NOOP),
                        new LogEntry(13, 7, LogType.CONFIGURATION,
                                dev.skiff.raft.ConfigurationCodec.encode(configuration)),
                        new LogEntry(14, 7, LogType.COMMAND, big),
                        LogEntry.of(15, 7, LogType.BARRIER)), 9, 4),
                heartbeat(fromAddress),
                new AppendEntriesResponse(7, "a", fromAddress, "b", false, 20, 15, 5, 4, "inc-7"),
                new RequestVote(8, "a", fromAddress, "b", 30, 7, true, false),
                new RequestVoteResponse(8, "a", fromAddress, "b", true, true, "inc-7"),
                new InstallSnapshot(7, "a", fromAddress, "b",
                        new SnapshotMeta("snap-1", 100, 6, configuration, 90, 12345, "crc32c:0badf00d")),
                new InstallSnapshotResponse(7, "a", fromAddress, "b", true, 100, "inc-7"),
                new TimeoutNow(7, "a", fromAddress, "b"));
    }

    /** What a receiver saw of one snapshot. */
    record ReceivedSnapshot(InstallSnapshot header, long length, byte[] sha256) {
    }

    /** Records messages, and digests snapshot streams as it reads them (never holding them). */
    static final class Recorder implements MessageHandler {
        final List<RaftMessage> messages = new CopyOnWriteArrayList<>();
        final List<ReceivedSnapshot> snapshots = new CopyOnWriteArrayList<>();
        volatile boolean failSnapshots;

        @Override
        public void onMessage(RaftMessage message) {
            messages.add(message);
        }

        @Override
        public void onSnapshot(InstallSnapshot header, InputStream data) throws IOException {
            if (failSnapshots) {
                data.readNBytes(1000);
                throw new IOException("disk full (simulated)");
            }
            MessageDigest digest = sha256Digest();
            byte[] buffer = new byte[16 * 1024];
            long length = 0;
            for (int n; (n = data.read(buffer)) >= 0; ) {
                digest.update(buffer, 0, n);
                length += n;
            }
            snapshots.add(new ReceivedSnapshot(header, length, digest.digest()));
        }
    }

    /** A snapshot of seeded pseudo-random bytes, generated while read; records being closed. */
    static final class TrackedSnapshot {
        final long seed;
        final int size;
        final AtomicBoolean closed = new AtomicBoolean();

        TrackedSnapshot(long seed, int size) {
            this.seed = seed;
            this.size = size;
        }

        InstallSnapshot header(String fromAddress) {
            return new InstallSnapshot(9, "a", fromAddress, "b", new SnapshotMeta("snap-" + seed, 500, 9,
                    Configuration.of(Server.voter("a", fromAddress)), 400, size, "crc32c:00000000"));
        }

        OpenSnapshot open() {
            return new OpenSnapshot(header("x:1").meta(), new GeneratedStream(seed, size) {
                @Override
                public void close() {
                    closed.set(true);
                }
            });
        }

        byte[] sha256() throws IOException {
            MessageDigest digest = sha256Digest();
            try (InputStream in = new GeneratedStream(seed, size)) {
                byte[] buffer = new byte[16 * 1024];
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    digest.update(buffer, 0, n);
                }
            }
            return digest.digest();
        }
    }

    /** {@code size} bytes from a seeded generator, produced on demand. */
    static class GeneratedStream extends InputStream {
        private final SplittableRandom random;
        private long remaining;

        GeneratedStream(long seed, long size) {
            this.random = new SplittableRandom(seed);
            this.remaining = size;
        }

        @Override
        public int read() {
            if (remaining == 0) {
                return -1;
            }
            remaining--;
            return random.nextInt(256);
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (remaining == 0) {
                return -1;
            }
            int n = (int) Math.min(len, remaining);
            for (int i = 0; i < n; i++) {
                b[off + i] = (byte) random.nextInt(256);
            }
            remaining -= n;
            return n;
        }
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
