package dev.skiff.it.cluster;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A Skiff cluster of real node processes on 127.0.0.1, with the scenario verbs of MicroRaft's
 * {@code LocalRaftGroup} and hashicorp/raft's {@code testing.go}: {@link #start(int)},
 * {@link #awaitLeader()}, {@link #kill9}, {@link #pause}/{@link #resume}, {@link #restart},
 * {@link #stopAll()}.
 *
 * <p>Each node gets fresh ports (see {@link FreePorts}), a data directory and a log file under
 * the cluster's base directory. Node {@code n1} starts with {@code --bootstrap}, every other
 * node with {@code --join} to the API of {@code n1}; a restart reuses a node's flags.
 *
 * <p>Thread-safe. {@link #close()} kills every process it started (SIGKILL); use it in a
 * {@code finally} or a JUnit extension so that no process outlives a failed test.
 */
public final class ProcessCluster implements AutoCloseable {

    /**
     * How long {@link #awaitLeader()} and the other waits allow by default: 30 s, or
     * {@code -Dskiff.it.waitSeconds=N} on a machine so loaded that node JVMs take tens of
     * seconds to start.
     */
    public static final Duration DEFAULT_WAIT = Duration.ofSeconds(Long.getLong("skiff.it.waitSeconds", 30));
    private static final Duration POLL = Duration.ofMillis(50);

    private final Path baseDir;
    private final ClusterOptions options;
    private final HttpClient http;
    private ClusterTls tls;
    private final List<NodeProcess> nodes = new CopyOnWriteArrayList<>();

    /** A cluster with no node yet; {@link #start(int)} starts them. */
    public ProcessCluster(Path baseDir, ClusterOptions options) {
        this.baseDir = baseDir;
        this.options = options;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2))
                .proxy(HttpClient.Builder.NO_PROXY)
                .build();
    }

    /**
     * Starts {@code size} nodes: {@code n1} bootstraps, the others join it; returns once every
     * node is a voter and knows the leader.
     */
    public ProcessCluster start(int size) {
        if (!nodes.isEmpty()) {
            throw new IllegalStateException("this cluster already has nodes " + nodes);
        }
        NodeProcess first = newNode("n1", options, List.of("--bootstrap"));
        first.start();
        await("a leader agreed on by a majority of " + nodes).atMost(DEFAULT_WAIT).pollInterval(POLL)
                .until(() -> {
                    failIfExited(nodes);
                    return agreedLeader().isPresent();
                });
        List<NodeProcess> joiners = new ArrayList<>();
        for (int i = 2; i <= size; i++) {
            joiners.add(newNode("n" + i, options, List.of("--join", first.apiUrl())));
        }
        joiners.forEach(NodeProcess::start);
        long deadline = System.nanoTime() + DEFAULT_WAIT.toNanos();
        while (true) {
            failIfExited(nodes);
            try {
                awaitMembers(size, Duration.ofSeconds(2));
                return this;
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                if (System.nanoTime() - deadline > 0) {
                    throw e;
                }
            }
        }
    }

    /**
     * Fails at once, with the node's log, when a node that {@link #start} started has exited:
     * waiting out the whole timeout for a leader would hide why (typically exit code 2, a flag
     * the node does not know because the skiff-node classes on the test class path are not this
     * build's, see the module README).
     */
    private static void failIfExited(List<NodeProcess> started) {
        for (NodeProcess node : started) {
            java.util.OptionalInt exit = node.exitCode();
            if (exit.isPresent()) {
                throw new IllegalStateException(node.id() + " exited with code " + exit.getAsInt()
                        + " while the cluster was starting; its log:\n" + node.logTail(30));
            }
        }
    }

    /**
     * Starts one more node that asks the current members to admit it ({@code --join}, with
     * {@code nodeOptions}' flags and secret rather than the cluster's). Does not wait.
     */
    public NodeProcess join(ClusterOptions nodeOptions) {
        List<String> urls = nodes.stream().map(NodeProcess::apiUrl).toList();
        return add(nodeOptions, List.of("--join", String.join(",", urls)));
    }

    /**
     * Starts one more node with {@code nodeOptions} and {@code roleFlags} (e.g. none: a node
     * that waits to be added with {@code POST /v1/cluster/members}). Does not wait.
     */
    public NodeProcess add(ClusterOptions nodeOptions, List<String> roleFlags) {
        NodeProcess node = newNode("n" + (nodes.size() + 1), nodeOptions, roleFlags);
        node.start();
        return node;
    }

    private NodeProcess newNode(String id, ClusterOptions nodeOptions, List<String> roleFlags) {
        List<String> flags = new ArrayList<>(roleFlags);
        flags.addAll(nodeOptions.nodeFlags());
        if (nodeOptions.clusterSecret() != null) {
            flags.add("--cluster-secret-file");
            flags.add(secretFile(nodeOptions.clusterSecret()).toString());
        }
        HttpClient client = http;
        if (nodeOptions.tls()) {
            flags.addAll(tls().issue(id));
            client = tls().httpClient();
        }
        NodeProcess node = new NodeProcess(id, FreePorts.next(), FreePorts.next(), baseDir.resolve(id),
                baseDir.resolve("logs").resolve(id + ".log"), flags, nodeOptions.environment(), client,
                nodeOptions.clientTimeout());
        nodes.add(node);
        return node;
    }

    /** The development CA of this cluster's TLS nodes (created on first use, under the cluster's directory). */
    public synchronized ClusterTls tls() {
        if (tls == null) {
            tls = new ClusterTls(baseDir.resolve("tls"));
        }
        return tls;
    }

    private Path secretFile(String secret) {
        try {
            Files.createDirectories(baseDir);
            Path file = baseDir.resolve("secret-" + Integer.toHexString(secret.hashCode()));
            Files.writeString(file, secret + "\n", StandardCharsets.UTF_8);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every node this cluster started (running or not), in start order. */
    public List<NodeProcess> nodes() {
        return List.copyOf(nodes);
    }

    /** The node with id {@code id}. */
    public NodeProcess node(String id) {
        return nodes.stream().filter(n -> n.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node " + id + " in " + nodes));
    }

    /** The cluster's options. */
    public ClusterOptions options() {
        return options;
    }

    /**
     * Waits until a leader is agreed on: a serving node that says it leads, and a majority of
     * the cluster's nodes (serving ones) that name it. Returns that node.
     */
    public NodeProcess awaitLeader() {
        return awaitLeader(DEFAULT_WAIT);
    }

    /** {@link #awaitLeader()} with another timeout. */
    public NodeProcess awaitLeader(Duration timeout) {
        AtomicReference<NodeProcess> leader = new AtomicReference<>();
        await("a leader agreed on by a majority of " + nodes).atMost(timeout).pollInterval(POLL)
                .until(() -> {
                    agreedLeader().ifPresent(leader::set);
                    return leader.get() != null;
                });
        return leader.get();
    }

    /** The agreed leader right now, if any (see {@link #awaitLeader()}). */
    public Optional<NodeProcess> agreedLeader() {
        Map<String, Integer> votes = new HashMap<>();
        Map<String, NodeProcess> claimants = new HashMap<>();
        for (NodeProcess node : nodes) {
            if (!node.isServing()) {
                continue;
            }
            JsonNode status;
            try {
                status = node.client().withTimeout(Duration.ofSeconds(1)).status();
            } catch (RuntimeException e) {
                continue;
            }
            if ("leader".equals(status.path("state").asText())) {
                claimants.put(node.id(), node);
            }
            String named = status.path("leader").path("id").asText("");
            if (!named.isEmpty()) {
                votes.merge(named, 1, Integer::sum);
            }
        }
        int majority = nodes.size() / 2 + 1;
        return claimants.values().stream().filter(n -> votes.getOrDefault(n.id(), 0) >= majority).findFirst();
    }

    /**
     * Waits until the leader's configuration has {@code voters} voters and every serving node
     * knows that leader and that configuration.
     */
    public void awaitMembers(int voters) {
        awaitMembers(voters, DEFAULT_WAIT);
    }

    /**
     * {@link #awaitMembers(int)} with another limit, for clusters that take longer to form.
     *
     * @throws org.awaitility.core.ConditionTimeoutException on one line that also says what each
     *         node reported last ({@link #picture()}): a CI summary shows only the first line
     */
    public void awaitMembers(int voters, Duration atMost) {
        try {
            awaitMembersOnce(voters, atMost);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new org.awaitility.core.ConditionTimeoutException(voters + " voters not known to every serving node within "
                    + atMost.toSeconds() + " s; the nodes: " + picture());
        }
    }

    private void awaitMembersOnce(int voters, Duration atMost) {
        await(voters + " voters known to every serving node of " + nodes).atMost(atMost).pollInterval(POLL)
                .ignoreExceptions()
                .until(() -> {
                    NodeProcess leader = agreedLeader().orElse(null);
                    if (leader == null) {
                        return false;
                    }
                    for (NodeProcess node : nodes) {
                        if (!node.isServing()) {
                            continue;
                        }
                        JsonNode status = node.client().withTimeout(Duration.ofSeconds(1)).status();
                        long voterCount = 0;
                        for (JsonNode m : status.path("latest_configuration")) {
                            voterCount += "voter".equals(m.path("suffrage").asText()) ? 1 : 0;
                        }
                        if (voterCount != voters || !leader.id().equals(status.path("leader").path("id").asText())) {
                            return false;
                        }
                    }
                    return true;
                });
    }

    /**
     * One line per cluster of what each node says now: exited (with its code), paused, or its
     * state, term, leader, voters and applied index from {@code /v1/status}.
     */
    public String picture() {
        List<String> parts = new ArrayList<>();
        for (NodeProcess node : nodes) {
            java.util.OptionalInt exit = node.exitCode();
            if (exit.isPresent()) {
                parts.add(node.id() + " exited (code " + exit.getAsInt() + ")");
                continue;
            }
            if (node.isPaused()) {
                parts.add(node.id() + " paused");
                continue;
            }
            try {
                JsonNode status = node.client().withTimeout(Duration.ofSeconds(1)).status();
                List<String> voterIds = new ArrayList<>();
                for (JsonNode m : status.path("latest_configuration")) {
                    voterIds.add(m.path("id").asText() + ("voter".equals(m.path("suffrage").asText()) ? "" : "(non-voter)"));
                }
                parts.add(node.id() + " " + status.path("state").asText() + " term " + status.path("term").asLong()
                        + " leader " + status.path("leader").path("id").asText("none") + " configuration " + voterIds
                        + " applied " + status.path("applied_index").asLong());
            } catch (RuntimeException e) {
                parts.add(node.id() + " status unavailable (" + e.getMessage() + ")");
            }
        }
        return String.join("; ", parts).replace('\n', ' ');
    }

    /**
     * Waits until {@code node} has applied everything the leader had committed when this was
     * called.
     */
    public void awaitCaughtUp(NodeProcess node) {
        NodeProcess leader = awaitLeader();
        long commit = leader.client().status().path("commit_index").asLong();
        await(node + " applied up to index " + commit).atMost(DEFAULT_WAIT).pollInterval(POLL).ignoreExceptions()
                .until(() -> node.client().withTimeout(Duration.ofSeconds(1)).status().path("applied_index").asLong() >= commit);
    }

    /** {@code kill -9} the node's process. */
    public void kill9(NodeProcess node) {
        node.kill9();
    }

    /** {@code kill -STOP} the node's process. */
    public void pause(NodeProcess node) {
        node.pause();
    }

    /** {@code kill -CONT} the node's process. */
    public void resume(NodeProcess node) {
        node.resume();
    }

    /** Starts a stopped (killed or exited) node again with the same flags. */
    public void restart(NodeProcess node) {
        node.start();
    }

    /**
     * Replaces a stopped node by the same node (id, data directory, flags) on two new ports,
     * and starts it: a machine that came back with new addresses.
     *
     * @throws IllegalStateException if the node is still running
     */
    public NodeProcess relocate(NodeProcess node) {
        if (node.isRunning()) {
            throw new IllegalStateException(node.id() + " must be stopped before it moves to new ports");
        }
        NodeProcess moved = node.onNewPorts(options.tls() ? tls().httpClient() : http, options.clientTimeout());
        nodes.set(nodes.indexOf(node), moved);
        moved.start();
        return moved;
    }

    /** SIGKILLs every node that runs (paused ones too); the data directories stay. */
    public void stopAll() {
        RuntimeException first = null;
        for (NodeProcess node : nodes) {
            try {
                node.kill9();
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Every node's last {@code lines} log lines, each under a header naming the node: for failure reports. */
    public String logTails(int lines) {
        StringBuilder out = new StringBuilder();
        for (NodeProcess node : nodes) {
            out.append("----- ").append(node.id()).append(" (api ").append(node.apiUrl()).append(", raft ")
                    .append(node.raftAddress()).append(node.isRunning() ? node.isPaused() ? ", paused" : ", running" : ", stopped")
                    .append("), last ").append(lines).append(" log lines -----\n")
                    .append(node.logTail(lines)).append('\n');
        }
        return out.toString();
    }

    /** Kills every process (SIGKILL) and closes the HTTP client. */
    @Override
    public void close() {
        try {
            stopAll();
        } finally {
            http.close();
        }
    }
}
