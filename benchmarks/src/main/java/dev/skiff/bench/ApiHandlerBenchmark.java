package dev.skiff.bench;

import dev.skiff.api.ApiMetrics;
import dev.skiff.api.ApiServer;
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
import dev.skiff.raft.Suffrage;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The client API's own cost: the real {@link ApiServer} (Undertow, dispatch to a virtual
 * thread, routing, strict query parsing, the KV handler, metrics) in front of a single-node
 * Raft over in-memory stores, so no disk and no network round trip to a peer is measured. The
 * client is a minimal keep-alive HTTP/1.1 client on a loopback socket (one per JMH thread), so
 * the score is the server's time plus one loopback round trip, not a client library's.
 *
 * <ul>
 *   <li>{@code getStale}: the lightest request (no Raft involvement at all);
 *   <li>{@code getDefault}: a lease read (the leader checks its lease);
 *   <li>{@code getConsistent}: ReadIndex on one node (a trip through the Raft loop);
 *   <li>{@code put}: a write through the Raft loop, the in-memory log and the FSM.
 * </ul>
 * Run with {@code -t 4} (or more) for throughput under concurrency; default is one client.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgs = {"-Xmx1g"})
public class ApiHandlerBenchmark {

    /** One single-node cluster and its API, shared by all client threads. */
    @State(Scope.Benchmark)
    public static class Node {
        Raft raft;
        ApiServer api;
        int port;

        @Setup(Level.Trial)
        public void start() throws Exception {
            KvStateMachine kv = new KvStateMachine();
            InMemorySnapshotStore snapshots = new InMemorySnapshotStore();
            raft = Raft.create(RaftConfig.defaults("n1"), kv, new InMemoryLogStore(), new InMemoryStableStore(),
                    snapshots, new InMemoryNetwork().transport("n1"));
            api = new ApiServer("127.0.0.1", 0, "n1", raft, kv, snapshots, new ApiMetrics(raft), 1 << 20,
                    Duration.ofSeconds(10));
            port = Integer.parseInt(api.address().substring(api.address().lastIndexOf(':') + 1));
            raft.bootstrapCluster(Configuration.of(new Server("n1", "n1", Suffrage.VOTER, api.address()))).join();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (raft.state() != RaftState.LEADER) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the single node did not become leader within 10 s");
                }
                Thread.onSpinWait();
            }
            try (Client c = new Client(port)) {
                c.call("PUT /v1/kv/bench/read HTTP/1.1\r\nHost: b\r\nContent-Length: 100\r\n\r\n" + "x".repeat(100));
            }
        }

        @TearDown(Level.Trial)
        public void stop() {
            api.close();
            raft.shutdown().join();
        }
    }

    /** One keep-alive connection per benchmark thread. */
    @State(Scope.Thread)
    public static class Connection {
        Client client;
        long counter;
        final String body = "x".repeat(100);

        @Setup(Level.Trial)
        public void open(Node node) throws IOException {
            client = new Client(node.port);
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            client.close();
        }
    }

    @Benchmark
    public int getStale(Connection c) throws IOException {
        return c.client.call("GET /v1/kv/bench/read?consistency=stale HTTP/1.1\r\nHost: b\r\n\r\n");
    }

    @Benchmark
    public int getDefault(Connection c) throws IOException {
        return c.client.call("GET /v1/kv/bench/read HTTP/1.1\r\nHost: b\r\n\r\n");
    }

    @Benchmark
    public int getConsistent(Connection c) throws IOException {
        return c.client.call("GET /v1/kv/bench/read?consistency=consistent HTTP/1.1\r\nHost: b\r\n\r\n");
    }

    @Benchmark
    public int put(Connection c) throws IOException {
        // Thread identity keeps keys distinct across JMH threads.
        String key = "bench/w/" + Thread.currentThread().threadId() + "/" + (c.counter++ % 100_000);
        return c.client.call("PUT /v1/kv/" + key + " HTTP/1.1\r\nHost: b\r\nContent-Length: 100\r\n\r\n" + c.body);
    }

    /**
     * The least an HTTP/1.1 client can do: write the request, read the status line and headers,
     * then exactly Content-Length body bytes. Anything but 200 fails the benchmark.
     */
    static final class Client implements AutoCloseable {
        private final Socket socket;
        private final OutputStream out;
        private final InputStream in;
        private final byte[] body = new byte[64 * 1024];

        Client(int port) throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress("127.0.0.1", port));
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
        }

        int call(String request) throws IOException {
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String status = line();
            int code = Integer.parseInt(status.substring(9, 12));
            int length = 0;
            for (String h = line(); !h.isEmpty(); h = line()) {
                if (h.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                    length = Integer.parseInt(h.substring(15).trim());
                }
            }
            int read = 0;
            while (read < length) {
                int n = in.read(body, 0, Math.min(body.length, length - read));
                if (n < 0) {
                    throw new IOException("connection closed mid-body");
                }
                read += n;
            }
            if (code != 200) {
                throw new IOException("HTTP " + code + " for " + request.lines().findFirst().orElse(""));
            }
            return code;
        }

        private String line() throws IOException {
            StringBuilder sb = new StringBuilder(64);
            int b;
            while ((b = in.read()) != '\n') {
                if (b < 0) {
                    throw new IOException("connection closed");
                }
                if (b != '\r') {
                    sb.append((char) b);
                }
            }
            return sb.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
