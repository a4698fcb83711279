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
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Transport} over HTTP/1.1: an Undertow server on the raft port, and a client to peers.
 *
 * <p><b>Wire.</b> {@code POST /raft/v1/message} carries one {@link MessageCodec} message and is
 * answered 204 as soon as the receiver has queued it (the Raft reply is a message of its own).
 * {@code POST /raft/v1/snapshot} streams an InstallSnapshot header and the snapshot's data,
 * answered once the receiver has stored it. The path and the codec's first byte both carry
 * the wire version. With TLS ({@link HttpTransportConfig#tls()}) the port accepts only peers
 * presenting a certificate that chains to the CA, and a sender checks that the peer's
 * certificate names the address it dialled. With a {@link ClusterSecret}, each connection
 * first runs the secret's challenge-response handshake and every request then carries a
 * counter and a MAC (see there); a request without them gets 401 and reaches nothing. {@link RaftRpcHandler} lists every
 * status the server answers.
 *
 * <p><b>Sending.</b> {@link #send} hands the message to the target's {@link PeerChannel}
 * (created on first use): bounded per-peer lanes, so heartbeats and votes never queue behind
 * large appends; several requests in flight per peer, each on a sender thread with a keep-alive
 * connection of its own ({@link PeerConnection}); drop-and-count when a queue is full or the
 * peer is down; reconnection with exponential backoff and jitter. {@link #sendSnapshot} streams on a thread
 * of its own ({@link SnapshotSender}).
 *
 * <p><b>Receiving.</b> Undertow I/O threads read message bodies without blocking, decode them
 * and call {@link MessageHandler#onMessage}, which only queues. Snapshot bodies go to a worker
 * thread, which calls {@link MessageHandler#onSnapshot} with the body as a stream.
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
        try {
            PeerChannel peer = closed.get() ? null : peer(targetAddress);
            if (peer == null) {
                counters.dropped().incrementAndGet();
                return;
            }
            peer.send(message);
        } catch (RuntimeException e) {
            // The contract forbids throwing: whatever went wrong costs this one message.
            counters.dropped().incrementAndGet();
            log.warn("dropped a {} to {}: {}", message.getClass().getSimpleName(), targetAddress, e.toString());
        }
    }

    @Override
    public void send(String targetAddress, List<RaftMessage> messages) {
        try {
            PeerChannel peer = closed.get() ? null : peer(targetAddress);
            if (peer == null) {
                counters.dropped().addAndGet(messages.size());
                return;
            }
            peer.send(messages);
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

    /** Messages sent that did not reach the peer's handler (connection failure or HTTP error). */
    public long failedMessages() {
        return counters.failed().get();
    }

    /** Requests sent to peers (each carries one or more messages), answered or not. */
    public long sentRequests() {
        return counters.requests().get();
    }

    /** Messages the peer accepted (HTTP 2xx). */
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
