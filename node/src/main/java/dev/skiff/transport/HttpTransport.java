package dev.skiff.transport;

import dev.skiff.raft.MessageHandler;
import dev.skiff.raft.OpenSnapshot;
import dev.skiff.raft.Transport;
import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.RaftMessage;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import org.xnio.Options;
import org.xnio.SslClientAuthMode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Transport} over HTTP/1.1: an Undertow server on the raft port, and a client to peers.
 *
 * <p><b>Wire.</b> {@code POST /raft/v1/stream} is a request whose chunked body never ends while
 * the sender runs: a sequence of frames, each a batch of {@link MessageCodec} messages that the
 * receiver hands on as soon as the frame is in, answering none (the Raft reply is a message of
 * its own). {@code POST /raft/v1/messages} carries one batch per request, answered 204 once
 * queued; nodes of versions before streams send that, and it is what a sender falls back to
 * when a peer does not know streams. {@code POST /raft/v1/snapshot} streams an InstallSnapshot
 * header and the snapshot's data, answered once the receiver has stored it. The path and the codec's first byte both carry
 * the wire version. With TLS ({@link HttpTransportConfig#tls()}) the port accepts only peers
 * presenting a certificate that chains to the CA, and a sender checks that the peer's
 * certificate names the address it dialled. With a {@link ClusterSecret}, each connection
 * first runs the secret's challenge-response handshake and every request then carries a
 * counter and a MAC (see there); a request without them gets 401 and reaches nothing. {@link RaftRpcHandler} lists every
 * status the server answers.
 *
 * <p><b>Sending.</b> {@link #send} hands the message to the target's {@link PeerChannel}
 * (created on first use): bounded per-peer lanes, so heartbeats and votes never queue behind
 * large appends, each with a sender thread that keeps a stream open on a connection of its own
 * ({@link PeerConnection}); drop-and-count when a queue is full or the peer is down;
 * reconnection with exponential backoff and jitter. A watchdog thread aborts writes to a peer
 * that has read nothing for the request timeout, and closes streams idle for a minute.
 * {@link #sendSnapshot} streams on a thread of its own ({@link SnapshotSender}).
 *
 * <p><b>Receiving.</b> Undertow I/O threads read streams and message bodies without blocking,
 * decode them and call {@link MessageHandler#onMessage}, which only queues. Snapshot bodies go
 * to a worker thread, which calls {@link MessageHandler#onSnapshot} with the body as a stream.
 *
 * <p><b>Threading.</b> All methods are thread-safe; {@link #send} and {@link #sendSnapshot}
 * never block and never throw. {@link #droppedMessages()} and {@link #failedMessages()} count
 * what did not reach a peer.
 */
public final class HttpTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(HttpTransport.class);
    private static final int IDLE_CONNECTION_TIMEOUT_MILLIS = 120_000;
    private static final int REQUEST_PARSE_TIMEOUT_MILLIS = 10_000;

    private final HttpTransportConfig config;
    private final HostPort bind;
    private final PeerChannel.Counters counters = new PeerChannel.Counters();
    private final Map<String, PeerChannel> peers = new ConcurrentHashMap<>();
    private final Set<String> badAddresses = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final SnapshotSender snapshots;
    private final ScheduledExecutorService watchdog;
    private volatile Undertow server;
    private volatile RaftRpcHandler rpcHandler;
    private volatile String localAddress;

    /**
     * A transport that will listen on {@code config.bindAddress()} once started.
     *
     * @throws IllegalArgumentException if the config is invalid (naming the field)
     */
    public HttpTransport(HttpTransportConfig config) {
        this.config = config.validate();
        this.bind = HostPort.parse(config.bindAddress(), "bindAddress");
        this.localAddress = config.advertiseAddress().orElse(config.bindAddress());
        this.snapshots = new SnapshotSender(config);
        this.watchdog = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("skiff-raft-watchdog").factory());
        // A quarter of the timeout: a stalled write is cut between 1 and 1.25 timeouts after it started.
        long period = Math.max(10, config.requestTimeout().toMillis() / 4);
        watchdog.scheduleWithFixedDelay(() -> watchPeers(System.nanoTime()), period, period, TimeUnit.MILLISECONDS);
    }

    /**
     * The watchdog's round: stalled writes and idle streams of every peer ({@link PeerChannel#watch}),
     * and channels unused for long, closed and forgotten ({@link PeerChannel#closeIfIdle}).
     */
    void watchPeers(long nowNanos) {
        for (Map.Entry<String, PeerChannel> e : peers.entrySet()) {
            PeerChannel peer = e.getValue();
            try {
                if (peer.closeIfIdle(nowNanos)) {
                    peers.remove(e.getKey(), peer);
                    log.info("closed the raft channel to {}: nothing sent to it for {} minutes", e.getKey(),
                            TimeUnit.NANOSECONDS.toMinutes(PeerChannel.IDLE_CHANNEL_NANOS));
                    continue;
                }
                peer.watch(nowNanos);
            } catch (RuntimeException ex) {
                // A failure here must not end the schedule: the next round checks again.
                log.warn("raft watchdog could not check peer writes: {}", ex.toString());
            }
        }
    }

    /**
     * The advertised address if configured, else the bound {@code host:port} (after
     * {@link #start}, with the real port when the configured one was 0).
     */
    @Override
    public String localAddress() {
        return localAddress;
    }

    /**
     * Binds the raft port and starts delivering to {@code handler}.
     *
     * @throws IOException           if the port cannot be bound
     * @throws IllegalStateException if called twice or after {@link #close}
     */
    @Override
    public void start(MessageHandler handler) throws IOException {
        Objects.requireNonNull(handler, "handler");
        if (closed.get() || !started.compareAndSet(false, true)) {
            throw new IllegalStateException("HttpTransport.start may be called once, before close");
        }
        rpcHandler = new RaftRpcHandler(handler, config.secret(), config.maxMessageBytes());
        Undertow.Builder builder = Undertow.builder();
        if (config.tls().isPresent()) {
            // Mutual TLS: a peer without a certificate chaining to the CA fails the handshake
            // and never reaches the handler.
            builder.addHttpsListener(bind.port(), bind.host(), config.tls().get())
                    .setSocketOption(Options.SSL_CLIENT_AUTH_MODE, SslClientAuthMode.REQUIRED);
        } else {
            builder.addHttpListener(bind.port(), bind.host());
        }
        Undertow undertow = builder
                .setIoThreads(config.ioThreads())
                .setWorkerThreads(config.workerThreads())
                .setWorkerOption(Options.WORKER_NAME, "skiff-raft-" + bind.port())
                .setServerOption(UndertowOptions.ENABLE_HTTP2, false)
                .setServerOption(UndertowOptions.ALWAYS_SET_KEEP_ALIVE, true)
                // Longer than a sender's idle keep-alive (PeerConnection, 30 s), so the client, not
                // the server, closes an idle connection, and never posts on one being closed.
                .setServerOption(UndertowOptions.NO_REQUEST_TIMEOUT, IDLE_CONNECTION_TIMEOUT_MILLIS)
                // A peer that opens a request and stalls in its headers loses the connection.
                .setServerOption(UndertowOptions.REQUEST_PARSE_TIMEOUT, REQUEST_PARSE_TIMEOUT_MILLIS)
                .setHandler(rpcHandler)
                .build();
        try {
            undertow.start();
        } catch (RuntimeException e) {
            throw new IOException("cannot listen for raft traffic on " + bind + ": " + rootMessage(e), e);
        }
        server = undertow;
        var bound = (InetSocketAddress) undertow.getListenerInfo().get(0).getAddress();
        HostPort listening = new HostPort(bind.host(), bound.getPort());
        if (config.advertiseAddress().isEmpty()) {
            localAddress = listening.toString();
        }
        log.info("raft transport listening on {} (advertised as {}, tls={}, cluster secret {})", listening, localAddress,
                config.tls().isPresent() ? "mutual" : "off", config.secret().isPresent() ? "required" : "not configured");
    }

    @Override
    public void send(String targetAddress, RaftMessage message) {
        send(targetAddress, List.of(message));
    }

    @Override
    public void send(String targetAddress, List<RaftMessage> messages) {
        try {
            for (int attempt = 0; attempt < 2; attempt++) {
                PeerChannel peer = closed.get() ? null : peer(targetAddress);
                if (peer == null) {
                    break;
                }
                if (peer.send(messages)) {
                    return;
                }
                // The watchdog closed it as idle just now: a new channel takes the messages.
                peers.remove(targetAddress, peer);
            }
            counters.dropped().addAndGet(messages.size());
        } catch (RuntimeException e) {
            counters.dropped().addAndGet(messages.size());
            log.warn("dropped {} messages to {}: {}", messages.size(), targetAddress, e.toString());
        }
    }

    @Override
    public CompletableFuture<Void> sendSnapshot(String targetAddress, InstallSnapshot header, OpenSnapshot snapshot) {
        if (closed.get()) {
            closeQuietly(snapshot);
            return CompletableFuture.failedFuture(new IOException("raft transport is closed"));
        }
        HostPort target;
        try {
            target = HostPort.parse(targetAddress, "snapshot target address");
        } catch (IllegalArgumentException e) {
            closeQuietly(snapshot);
            return CompletableFuture.failedFuture(e);
        }
        return snapshots.send(target, header, snapshot);
    }

    /** Messages not sent: queue full, peer in backoff, bad address, or the transport closed. */
    public long droppedMessages() {
        return counters.dropped().get();
    }

    /** Messages sent that did not reach the peer (connection failure, a write the peer did not take, or an HTTP error). */
    public long failedMessages() {
        return counters.failed().get();
    }

    /** Batches sent to peers (each a stream frame, or a request to a peer without streams, of one or more messages). */
    public long sentBatches() {
        return counters.batches().get();
    }

    /** Messages written to a peer's stream, or accepted with HTTP 2xx by a peer without streams. */
    public long deliveredMessages() {
        return counters.delivered().get();
    }

    /** Requests this server refused with a 4xx status (bad secret, path, method, body). */
    public long refusedRequests() {
        RaftRpcHandler h = rpcHandler;
        return h == null ? 0 : h.refusedRequests();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        watchdog.shutdownNow();
        peers.values().forEach(PeerChannel::close);
        Undertow undertow = server;
        if (undertow != null) {
            undertow.stop();
        }
        snapshots.close();
        log.info("raft transport on {} closed", localAddress);
    }

    private PeerChannel peer(String targetAddress) {
        PeerChannel peer = peers.get(targetAddress);
        if (peer != null) {
            return peer;
        }
        HostPort target;
        try {
            target = HostPort.parse(targetAddress, "raft peer address");
        } catch (IllegalArgumentException e) {
            if (badAddresses.add(targetAddress)) {
                log.warn("dropping messages to an unusable address: {}", e.getMessage());
            }
            return null;
        }
        return peers.computeIfAbsent(targetAddress, a -> new PeerChannel(a, target, config, counters));
    }

    private static void closeQuietly(OpenSnapshot snapshot) {
        try {
            snapshot.close();
        } catch (IOException | RuntimeException ignored) {
            // Nothing to report beyond the failed future.
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }
}
