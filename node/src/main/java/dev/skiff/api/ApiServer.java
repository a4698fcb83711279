package dev.skiff.api;

import dev.skiff.kv.KvStateMachine;
import dev.skiff.raft.Raft;
import dev.skiff.raft.RaftState;
import dev.skiff.raft.SnapshotStore;
import dev.skiff.storage.StorageHealth;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import org.xnio.Options;
import org.xnio.SslClientAuthMode;
import io.undertow.server.DefaultByteBufferPool;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Methods;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client HTTP API of API.md §2–3 on Undertow. The I/O threads only route: every request
 * is dispatched to a virtual thread, which may wait on Raft futures and forward to the leader
 * without tying up an I/O thread; except what never waits, which is answered on its I/O thread:
 * an ordinary put ({@link NonBlockingPut}) and a {@code stale} read of one key.
 */
public final class ApiServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    private static final Logger access = LoggerFactory.getLogger("dev.skiff.access");
    private static final String KV_PREFIX = "/v1/kv/";
    private static final String STALE_QUERY = "consistency=stale";

    private final Undertow server;
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private final ApiContext ctx;
    private final KvHandler kv;
    private final ClusterHandler cluster;
    private final OpsHandler ops;
    private final UiHandler ui = new UiHandler();
    private final HealthHandler healthChecks;
    private final NonBlockingPut nonBlockingPut;
    private final NonBlockingGet nonBlockingGet;
    private final AclGuard acl;
    private final AclHandler aclTokens;
    private final String boundAddress;
    private final BlockingWaiters waiters = new BlockingWaiters(workers);
    private final SessionTimers sessionTimers;
    private final ConsulHandler consul;
    private final CoordinationHandler coordination;
    private final WatchHub watch;
    /** The node's TLS setting, for the Consul listener too: both client ports speak the same protocol. */
    private final PeerApi peers;
    private final boolean requireClientCert;
    private Undertow consulServer;

    /**
     * Starts the API.
     *
     * @param bindHost      interface to listen on
     * @param port          port (0 picks a free one)
     * @param nodeId        this node's id
     * @param raft          the Raft node
     * @param kvFsm         the state machine it runs
     * @param snapshots     this node's snapshot store
     * @param metrics       the metrics registry
     * @param maxValueBytes largest accepted value
     * @param timeout       how long a request may wait for the cluster
     */
    public ApiServer(String bindHost, int port, String nodeId, Raft raft, KvStateMachine kvFsm, SnapshotStore snapshots,
                     ApiMetrics metrics, int maxValueBytes, Duration timeout) {
        this(bindHost, port, nodeId, raft, kvFsm, snapshots, metrics, maxValueBytes, timeout, new StorageHealth(),
                Path.of(System.getProperty("java.io.tmpdir")), HealthHandler.DEFAULT_READY_MAX_LAG);
    }

    /**
     * Starts the API, reporting {@code health} in {@code /v1/status} and {@code /metrics}, and
     * spooling snapshot uploads in {@code uploadDir} (on the node's data disk: an upload may be
     * as large as the whole state), and ready in {@code /readyz} while within {@code readyMaxLag}
     * entries of the leader's commit index.
     *
     * @see #ApiServer(String, int, String, Raft, KvStateMachine, SnapshotStore, ApiMetrics, int, Duration)
     */
    public ApiServer(String bindHost, int port, String nodeId, Raft raft, KvStateMachine kvFsm, SnapshotStore snapshots,
                     ApiMetrics metrics, int maxValueBytes, Duration timeout, StorageHealth health, Path uploadDir,
                     long readyMaxLag) {
        this(bindHost, port, nodeId, raft, kvFsm, snapshots, metrics, maxValueBytes, timeout, health, uploadDir, readyMaxLag,
                PeerApi.PLAIN, false, null, defaultIoThreads(Runtime.getRuntime().availableProcessors()));
    }

    /**
     * The API over HTTPS when {@code peers} has a TLS context: the listener serves this node's
     * certificate and asks clients for theirs, requiring one that chains to the CA when
     * {@code requireClientCert}; forwarding and probes to other nodes use HTTPS with the same
     * context. With {@link PeerApi#PLAIN}, plain HTTP. ACLs are on when
     * {@code aclManagementHash} is given (API.md §7): every request but the health checks,
     * metrics and the UI's files then needs a token, and the token whose secret hashes (SHA-256)
     * to {@code aclManagementHash} has every right.
     *
     * @param aclManagementHash SHA-256 of the management token's secret, or null for no ACLs
     * @param ioThreads         the listener's I/O threads ({@link #defaultIoThreads(int)} unless the
     *                          operator chose): they parse every request and write every answer
     * @see #ApiServer(String, int, String, Raft, KvStateMachine, SnapshotStore, ApiMetrics, int, Duration, StorageHealth, Path, long)
     */
    public ApiServer(String bindHost, int port, String nodeId, Raft raft, KvStateMachine kvFsm, SnapshotStore snapshots,
                     ApiMetrics metrics, int maxValueBytes, Duration timeout, StorageHealth health, Path uploadDir,
                     long readyMaxLag, PeerApi peers, boolean requireClientCert, byte[] aclManagementHash, int ioThreads) {
        this.ctx = new ApiContext(nodeId, raft, kvFsm, snapshots, new Forwarder(nodeId, metrics, peers), metrics, maxValueBytes,
                timeout, health);
        ApiContext context = ctx;
        this.acl = aclManagementHash == null ? AclGuard.off() : new AclGuard(aclManagementHash, kvFsm::acl, () -> {
            if (context.raft().state() != RaftState.LEADER) {
                context.await(context.raft().leaseRead(), false);
            }
        });
        metrics.watch(health);
        this.sessionTimers = new SessionTimers(raft, kvFsm, timeout);
        CoordinationWrites coordination = new CoordinationWrites(ctx, sessionTimers);
        this.kv = new KvHandler(ctx, coordination, waiters, workers);
        kv.onResume(this::handle);
        this.coordination = new CoordinationHandler(ctx, coordination);
        this.cluster = new ClusterHandler(ctx);
        this.ops = new OpsHandler(ctx, uploadDir);
        this.healthChecks = new HealthHandler(ctx, readyMaxLag);
        IoThreadQueues answers = new IoThreadQueues();
        this.nonBlockingPut = new NonBlockingPut(ctx, kv, acl, answers);
        this.nonBlockingGet = new NonBlockingGet(ctx, acl, answers, this::handle);
        this.aclTokens = new AclHandler(ctx);
        this.consul = new ConsulHandler(ctx, waiters, coordination, workers, new ConsulAcl(acl));
        consul.onResume(exchange -> serveConsul(exchange, exchange.getRequestPath()));
        kvFsm.onChange(waiters::changed);
        this.watch = new WatchHub(kvFsm.appliedIndex());
        kvFsm.onChanges(watch);
        this.peers = peers;
        this.requireClientCert = requireClientCert;
        this.server = listener(bindHost, port)
                .setIoThreads(ioThreads)
                // Requests run on fresh virtual threads, so a per-thread buffer cache never hits:
                // pool buffers globally instead of allocating and zeroing new ones per response.
                .setByteBufferPool(new DefaultByteBufferPool(true, 16 * 1024, 1024, 0))
                // Paths and query strings are decoded by RequestParts, strictly.
                .setServerOption(UndertowOptions.DECODE_URL, false)
                .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, (long) maxValueBytes + (1L << 20))
                .setHandler(this::dispatch)
                .build();
        server.start();
        InetSocketAddress bound = (InetSocketAddress) server.getListenerInfo().get(0).getAddress();
        this.boundAddress = bindHost + ":" + bound.getPort();
        log.info("client API listening on {} (scheme={}, client certificates {})", boundAddress, peers.scheme(),
                peers.tls().isEmpty() ? "n/a" : requireClientCert ? "required" : "not requested");
    }

    /**
     * Adds a section named {@code name} to {@code GET /v1/status}, its value read from
     * {@code section} at each request (for components outside the API, such as the log archive).
     */
    public void addStatusSection(String name, java.util.function.Supplier<Object> section) {
        cluster.addStatusSection(name, section);
    }

    /**
     * A builder with one listener on {@code bindHost:port}: HTTPS with the node's certificate
     * (client certificates required with {@code --api-require-client-cert}) when TLS is on,
     * else plain HTTP.
     */
    private Undertow.Builder listener(String bindHost, int port) {
        Undertow.Builder builder = Undertow.builder();
        if (peers.tls().isPresent()) {
            return builder.addHttpsListener(port, bindHost, peers.tls().get())
                    .setSocketOption(Options.SSL_CLIENT_AUTH_MODE,
                            requireClientCert ? SslClientAuthMode.REQUIRED : SslClientAuthMode.NOT_REQUESTED)
                    .setServerOption(UndertowOptions.ENABLE_HTTP2, false);
        }
        return builder.addHttpListener(port, bindHost);
    }

    /**
     * How many I/O threads the API gets unless the operator says ({@code --api-io-threads}): one
     * on a machine of fewer than four CPUs, else two. Each batch of writes the state machine
     * applies wakes every I/O thread that holds one of their connections, and each wake-up is a
     * system call and a context switch; with two threads on two CPUs, writes through all three
     * nodes were 12,820 r/s (mean of three runs) against 14,269 with one, the 90/10 mix through
     * all nodes 15,097 against 18,814, at a lower p99 (bench/README.md, "one API I/O thread
     * below four CPUs"). What one thread costs: {@code stale} reads, answered on the I/O thread
     * itself, 50,600 r/s against 44,700 via the leader. From four CPUs on, two, as before (not
     * measured here: these machines have two).
     *
     * @param cpus the CPUs this process may use
     */
    public static int defaultIoThreads(int cpus) {
        return cpus < 4 ? 1 : 2;
    }

    /**
     * Opens the Consul-compatible listener (API.md §8, {@code --consul-addr}) on {@code
     * bindHost:port} (0 picks a free port), with the API port's TLS setting, and returns the
     * {@code host:port} it listens on.
     */
    public synchronized String startConsul(String bindHost, int port) {
        if (consulServer != null) {
            throw new IllegalStateException("the Consul-compatible listener is open already");
        }
        Undertow listener = listener(bindHost, port)
                .setIoThreads(1)
                .setServerOption(UndertowOptions.DECODE_URL, false)
                .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, (long) ctx.maxValueBytes() + (1L << 20))
                .setHandler(exchange -> exchange.dispatch(workers, () -> serveConsul(exchange, exchange.getRequestPath())))
                .build();
        listener.start();
        consulServer = listener;
        InetSocketAddress bound = (InetSocketAddress) listener.getListenerInfo().get(0).getAddress();
        String address = bindHost + ":" + bound.getPort();
        log.info("Consul-compatible API listening on {} (scheme={}, client certificates {})", address, peers.scheme(),
                peers.tls().isEmpty() ? "n/a" : requireClientCert ? "required" : "not requested");
        return address;
    }

    /** Serves a Consul-API request (from the Consul listener, or forwarded to this leader). */
    private void serveConsul(HttpServerExchange exchange, String path) {
        long started = System.nanoTime();
        boolean parked = false;
        try {
            parked = consul.handle(exchange, path);
        } catch (ConsulHandler.ConsulError e) {
            consulFail(exchange, e.status, e.getMessage());
        } catch (ApiException e) {
            if (e.status == 503) {
                exchange.getResponseHeaders().put(Responses.RETRY_AFTER, "1");
            }
            consulFail(exchange, e.status, e.getMessage());
        } catch (RuntimeException e) {
            log.error("Consul API request failed method={} path={}", exchange.getRequestMethod(), path, e);
            consulFail(exchange, 500, "internal error: " + e);
        } finally {
            if (!parked) {
                if (!exchange.isComplete() && !exchange.isResponseStarted()) {
                    exchange.endExchange();
                }
                ctx.metrics().request("consul", exchange.getRequestMethod().toString(), exchange.getStatusCode(),
                        System.nanoTime() - started);
            }
        }
    }

    private static void consulFail(HttpServerExchange exchange, int status, String message) {
        if (exchange.isResponseStarted()) {
            exchange.endExchange();
            return;
        }
        Responses.text(exchange, status, "text/plain; charset=utf-8", message);
    }

    /** {@code host:port} the API listens on. */
    public String address() {
        return boundAddress;
    }

    private void dispatch(HttpServerExchange exchange) {
        if (nonBlockingPut.tryStart(exchange)) {
            return;
        }
        if (isStaleKeyRead(exchange)) {
            // A local read that never waits: answered here, on the I/O thread, which saves two
            // thread hand-offs and the read-listener spin NonBlockingPut describes.
            handle(exchange);
            return;
        }
        if (nonBlockingGet.tryStart(exchange)) {
            return;
        }
        exchange.dispatch(workers, () -> handle(exchange));
    }

    /** {@code GET /v1/kv/{key}?consistency=stale}, exactly (anything else takes the worker path). */
    private static boolean isStaleKeyRead(HttpServerExchange exchange) {
        String path = exchange.getRequestPath();
        return path.length() > KV_PREFIX.length() && path.startsWith(KV_PREFIX)
                && Methods.GET.equals(exchange.getRequestMethod()) && STALE_QUERY.equals(exchange.getQueryString());
    }

    private void handle(HttpServerExchange exchange) {
        handle(exchange, System.nanoTime());
    }

    /** Serves a request that arrived at {@code started} (System.nanoTime): the one path every request takes. */
    private void handle(HttpServerExchange exchange, long started) {
        String route = "unknown";
        // A blocking read that parked: its exchange stays open until it wakes and is served again.
        boolean parked = false;
        try {
            String path = exchange.getRequestPath();
            if (path.startsWith(ConsulHandler.FORWARD_PREFIX + "/v1/") && Forwarder.wasForwarded(exchange)) {
                // A Consul request a follower's Consul listener forwarded: Consul's formats and errors.
                route = "consul";
                serveConsul(exchange, path.substring(ConsulHandler.FORWARD_PREFIX.length()));
                return;
            }
            acl.authorize(exchange, path);
            if (path.startsWith("/v1/kv/")) {
                route = "kv";
                parked = kv.handle(exchange, path.substring("/v1/kv/".length()));
            } else if (path.equals("/v1/kv")) {
                route = "kv";
                parked = kv.handle(exchange, "");
            } else if (path.equals("/v1/watch")) {
                route = "watch";
                parked = watch.open(exchange, ctx.raft().appliedIndex());
            } else if (path.equals("/v1/txn")) {
                route = "txn";
                coordination.txn(exchange);
            } else if (path.equals("/v1/session") || path.startsWith("/v1/session/")) {
                route = "session";
                coordination.session(exchange, path.substring("/v1/session".length()));
            } else if (path.equals("/v1/status")) {
                route = "status";
                requireMethod(exchange, "GET");
                cluster.status(exchange);
            } else if (path.equals("/v1/cluster/members")) {
                route = "members";
                cluster.members(exchange, null);
            } else if (path.startsWith("/v1/cluster/members/")) {
                route = "members";
                cluster.members(exchange, path.substring("/v1/cluster/members/".length()));
            } else if (path.equals("/v1/cluster/leadership-transfer")) {
                route = "leadership-transfer";
                cluster.leadershipTransfer(exchange);
            } else if (path.equals("/v1/snapshot")) {
                route = "snapshot";
                ops.snapshot(exchange);
            } else if (path.equals("/v1/acl/tokens")) {
                route = "acl";
                aclTokens.tokens(exchange, null);
            } else if (path.startsWith("/v1/acl/tokens/")) {
                route = "acl";
                aclTokens.tokens(exchange, path.substring("/v1/acl/tokens/".length()));
            } else if (path.equals("/healthz")) {
                route = "healthz";
                requireMethod(exchange, "GET");
                healthChecks.healthz(exchange);
            } else if (path.equals("/readyz")) {
                route = "readyz";
                requireMethod(exchange, "GET");
                healthChecks.readyz(exchange);
            } else if (path.equals("/ui") || path.startsWith("/ui/")) {
                route = "ui";
                ui.handle(exchange, path);
            } else if (path.equals("/metrics")) {
                route = "metrics";
                requireMethod(exchange, "GET");
                ops.metrics(exchange);
            } else {
                throw new ApiException(404, "no_route", "no such endpoint: " + path);
            }
        } catch (ApiException e) {
            fail(exchange, e);
        } catch (RuntimeException e) {
            log.error("request failed method={} path={}", exchange.getRequestMethod(), exchange.getRequestPath(), e);
            fail(exchange, new ApiException(500, "internal", "internal error: " + e));
        } finally {
            if (!parked) {
                finish(exchange, route, started);
            }
        }
    }

    private void finish(HttpServerExchange exchange, String route, long started) {
        if (!exchange.isComplete() && !exchange.isResponseStarted()) {
            exchange.endExchange();
        }
        int status = exchange.getStatusCode();
        ctx.metrics().request(route, exchange.getRequestMethod().toString(), status, System.nanoTime() - started);
        if (access.isDebugEnabled()) {
            access.debug("method={} path={} status={} micros={}", exchange.getRequestMethod(), exchange.getRequestPath(),
                    status, (System.nanoTime() - started) / 1000);
        }
    }

    private static void requireMethod(HttpServerExchange exchange, String method) {
        if (!exchange.getRequestMethod().toString().equals(method)) {
            throw new ApiException(405, "method_not_allowed", exchange.getRequestMethod() + " is not allowed here; use " + method);
        }
    }

    private void fail(HttpServerExchange exchange, ApiException e) {
        ctx.metrics().error(e.code);
        if (exchange.isResponseStarted()) {
            log.warn("error after the response started, closing path={} error={}", exchange.getRequestPath(), e.getMessage());
            exchange.endExchange();
            return;
        }
        if (e.status == 405) {
            exchange.getResponseHeaders().put(io.undertow.util.Headers.ALLOW, allowFor(exchange.getRequestPath()));
        }
        if (e.status == 401) {
            exchange.getResponseHeaders().put(io.undertow.util.Headers.WWW_AUTHENTICATE, "Bearer realm=\"skiff\"");
        }
        Responses.error(exchange, e);
    }

    private static String allowFor(String path) {
        if (path.equals("/v1/kv/") || path.equals("/v1/kv")) {
            return "GET, DELETE";
        }
        if (path.equals("/v1/txn") || path.equals("/v1/session")) {
            return "POST";
        }
        if (path.startsWith("/v1/session/")) {
            return path.endsWith("/renew") ? "PUT" : "GET, DELETE";
        }
        if (path.startsWith("/v1/kv/")) {
            return "GET, PUT, DELETE";
        }
        if (path.equals("/v1/cluster/members")) {
            return "GET, POST";
        }
        if (path.startsWith("/v1/cluster/members/")) {
            return "PUT, DELETE";
        }
        if (path.equals("/v1/snapshot")) {
            return "GET, POST, PUT";
        }
        if (path.equals("/v1/cluster/leadership-transfer")) {
            return "POST";
        }
        if (path.equals("/v1/acl/tokens")) {
            return "GET, POST";
        }
        if (path.startsWith("/v1/acl/tokens/")) {
            return "DELETE";
        }
        if (path.equals("/ui") || path.startsWith("/ui/")) {
            return "GET, HEAD";
        }
        return "GET";
    }

    @Override
    public void close() {
        sessionTimers.close();
        if (consulServer != null) {
            consulServer.stop();
        }
        server.stop();
        workers.shutdownNow();
    }
}
