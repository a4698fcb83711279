package dev.skiff.transport;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * Settings of an {@link HttpTransport}. Start from {@link #defaults(String)} and change what
 * you need with the {@code with*} methods; {@link #validate()} names the first bad field.
 *
 * @param bindAddress          where the raft port listens, {@code host:port}; port 0 picks a
 *                             free port (tests)
 * @param advertiseAddress     the address peers use to reach this server, or empty to use the
 *                             bound address (set it when binding {@code 0.0.0.0})
 * @param secret               the cluster secret that every raft-port connection must prove
 *                             (see {@link ClusterSecret}), or empty to accept any request
 * @param tls                  the TLS context of the raft port (this node's certificate and key,
 *                             the CA that peers' certificates must chain to), or empty for plain
 *                             HTTP; with it the port accepts only peers with a client certificate
 *                             and checks that a dialled peer's certificate names its address
 * @param maxMessageBytes      largest accepted message body or stream frame; bigger ones get 413
 * @param maxQueuedPerLane     most messages waiting per peer and lane; beyond that new messages
 *                             are dropped and counted
 * @param connectTimeout       how long to wait for a TCP connection to a peer
 * @param requestTimeout       how long writing a batch of messages to a peer (or, to a peer
 *                             without streams, its request and answer) may take before the peer
 *                             counts as down
 * @param snapshotTimeout      how long sending a whole snapshot may take, receiver's answer
 *                             included; the transfer is cut off after that
 * @param minBackoff           first pause after a peer could not be reached
 * @param maxBackoff           longest pause between attempts to reach a peer that stays down
 * @param ioThreads            Undertow I/O threads (non-blocking; they never wait)
 * @param workerThreads        Undertow worker threads, which receive snapshot streams
 */
public record HttpTransportConfig(
        String bindAddress,
        Optional<String> advertiseAddress,
        Optional<ClusterSecret> secret,
        Optional<SSLContext> tls,
        int maxMessageBytes,
        int maxQueuedPerLane,
        Duration connectTimeout,
        Duration requestTimeout,
        Duration snapshotTimeout,
        Duration minBackoff,
        Duration maxBackoff,
        int ioThreads,
        int workerThreads) {

    /**
     * 64 MiB: far above an AppendEntries of {@code RaftConfig.DEFAULT_MAX_APPEND_BYTES} (1 MiB)
     * even when one entry is larger than that, yet small enough that a bogus body cannot
     * exhaust the heap.
     */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 64 << 20;
    /** 1024: several seconds of heartbeats and pipelined appends; a longer queue is only stale. */
    public static final int DEFAULT_MAX_QUEUED_PER_LANE = 1024;
    /** 1 s: about an election timeout; a peer slower than that to accept a connection is down. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(1);
    /** 10 s: a peer that reads nothing for that long is hung (or its link is gone without a reset). */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** 1 h: a multi-GiB snapshot over a slow link. */
    public static final Duration DEFAULT_SNAPSHOT_TIMEOUT = Duration.ofHours(1);
    /** 50 ms: a restarting peer is retried quickly. */
    public static final Duration DEFAULT_MIN_BACKOFF = Duration.ofMillis(50);
    /** 2 s: a long-dead peer costs one connection attempt every few seconds. */
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(2);
    /** 1: the I/O threads only move bytes and decode; Raft traffic does not need more on 2 cores. */
    public static final int DEFAULT_IO_THREADS = 1;
    /** 4: snapshot receives are rare and each holds one worker while it stores the data. */
    public static final int DEFAULT_WORKER_THREADS = 4;

    /** Normalises nulls to empty optionals. */
    public HttpTransportConfig {
        Objects.requireNonNull(bindAddress, "bindAddress");
        advertiseAddress = advertiseAddress == null ? Optional.empty() : advertiseAddress;
        secret = secret == null ? Optional.empty() : secret;
        tls = tls == null ? Optional.empty() : tls;
    }

    /** Every field at its default, listening on {@code bindAddress}, without a secret. */
    public static HttpTransportConfig defaults(String bindAddress) {
        return new HttpTransportConfig(bindAddress, Optional.empty(), Optional.empty(), Optional.empty(), DEFAULT_MAX_MESSAGE_BYTES,
                DEFAULT_MAX_QUEUED_PER_LANE,
                DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, DEFAULT_SNAPSHOT_TIMEOUT, DEFAULT_MIN_BACKOFF,
                DEFAULT_MAX_BACKOFF, DEFAULT_IO_THREADS, DEFAULT_WORKER_THREADS);
    }

    /** This config with a cluster secret. */
    public HttpTransportConfig withSecret(ClusterSecret newSecret) {
        return new HttpTransportConfig(bindAddress, advertiseAddress, Optional.of(newSecret), tls, maxMessageBytes,
                maxQueuedPerLane, connectTimeout, requestTimeout,
                snapshotTimeout, minBackoff, maxBackoff, ioThreads, workerThreads);
    }

    /** This config with TLS (mutual: the context's key manager presents this node's certificate). */
    public HttpTransportConfig withTls(SSLContext context) {
        return new HttpTransportConfig(bindAddress, advertiseAddress, secret, Optional.of(context), maxMessageBytes,
                maxQueuedPerLane, connectTimeout, requestTimeout,
                snapshotTimeout, minBackoff, maxBackoff, ioThreads, workerThreads);
    }

    /** This config with an advertised address. */
    public HttpTransportConfig withAdvertiseAddress(String address) {
        return new HttpTransportConfig(bindAddress, Optional.of(address), secret, tls, maxMessageBytes,
                maxQueuedPerLane, connectTimeout, requestTimeout,
                snapshotTimeout, minBackoff, maxBackoff, ioThreads, workerThreads);
    }

    /** This config with another body limit. */
    public HttpTransportConfig withMaxMessageBytes(int bytes) {
        return new HttpTransportConfig(bindAddress, advertiseAddress, secret, tls, bytes,
                maxQueuedPerLane, connectTimeout, requestTimeout,
                snapshotTimeout, minBackoff, maxBackoff, ioThreads, workerThreads);
    }

    /** This config with another queue bound. */
    public HttpTransportConfig withMaxQueuedPerLane(int queuedPerLane) {
        return new HttpTransportConfig(bindAddress, advertiseAddress, secret, tls, maxMessageBytes,
                queuedPerLane, connectTimeout, requestTimeout,
                snapshotTimeout, minBackoff, maxBackoff, ioThreads, workerThreads);
    }

    /** This config with other timeouts and backoff bounds. */
    public HttpTransportConfig withTimeouts(Duration connect, Duration request, Duration backoffMin,
                                            Duration backoffMax) {
        return new HttpTransportConfig(bindAddress, advertiseAddress, secret, tls, maxMessageBytes,
                maxQueuedPerLane, connect, request,
                snapshotTimeout, backoffMin, backoffMax, ioThreads, workerThreads);
    }

    /**
     * Checks every field.
     *
     * @return this config
     * @throws IllegalArgumentException naming the first bad field and its allowed range
     */
    public HttpTransportConfig validate() {
        HostPort.parse(bindAddress, "bindAddress");
        advertiseAddress.ifPresent(a -> HostPort.parse(a, "advertiseAddress"));
        positive(maxMessageBytes, "maxMessageBytes");
        positive(maxQueuedPerLane, "maxQueuedPerLane");
        positive(ioThreads, "ioThreads");
        positive(workerThreads, "workerThreads");
        positive(connectTimeout, "connectTimeout");
        positive(requestTimeout, "requestTimeout");
        positive(snapshotTimeout, "snapshotTimeout");
        positive(minBackoff, "minBackoff");
        if (maxBackoff.compareTo(minBackoff) < 0) {
            throw new IllegalArgumentException("maxBackoff must be >= minBackoff (" + minBackoff + "), got " + maxBackoff);
        }
        return this;
    }

    private static void positive(int value, String field) {
        if (value < 1) {
            throw new IllegalArgumentException(field + " must be >= 1, got " + value);
        }
    }

    private static void positive(Duration value, String field) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(field + " must be a positive duration, got " + value);
        }
    }
}
