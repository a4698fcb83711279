package dev.skiff.api;

import dev.skiff.raft.Observation;
import dev.skiff.raft.Raft;
import dev.skiff.raft.RaftState;
import dev.skiff.storage.StorageHealth;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The node's metrics in Micrometer's Prometheus registry, as {@code /metrics} serves them: Raft
 * state (term, commit and applied index, leader changes), on the leader each follower's match
 * index, lag and last contact, request and apply latency histograms, forwarded requests, and
 * errors by code. The registry is shared with the node's other meters ({@code dev.skiff.metrics},
 * the storage back-ends). Every meter has a description: the {@code # HELP} line. Thread-safe.
 */
public final class ApiMetrics {

    private final PrometheusMeterRegistry registry;
    private final Raft raft;
    private final Counter leaderChanges;
    private final MultiGauge followerMatchIndex;
    private final MultiGauge followerLag;
    private final MultiGauge followerLastContact;
    private final Map<RequestKey, Timer> requestTimers = new ConcurrentHashMap<>();
    private final Timer applyTimer;

    /** Registers the Raft gauges of {@code raft} in a registry of its own. */
    public ApiMetrics(Raft raft) {
        this(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), raft);
    }

    /** Registers the Raft gauges of {@code raft} in {@code registry}. */
    public ApiMetrics(PrometheusMeterRegistry registry, Raft raft) {
        this.registry = registry;
        this.raft = raft;
        this.applyTimer = Timer.builder("skiff_raft_apply").description("time from Raft.apply to the FSM's response on the node that received the write (a follower's includes its round trip to the leader)")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
        Gauge.builder("skiff_raft_term", () -> raft.stats().term()).description("current Raft term").register(registry);
        Gauge.builder("skiff_raft_commit_index", () -> raft.stats().commitIndex())
                .description("highest log index this node knows to be committed").register(registry);
        Gauge.builder("skiff_raft_applied_index", raft::appliedIndex)
                .description("highest log index applied to this node's state machine").register(registry);
        Gauge.builder("skiff_raft_last_log_index", () -> raft.stats().lastLogIndex())
                .description("last index in this node's log").register(registry);
        Gauge.builder("skiff_raft_last_snapshot_index", () -> raft.stats().lastSnapshotIndex())
                .description("last log index covered by this node's latest snapshot").register(registry);
        Gauge.builder("skiff_raft_is_leader", () -> raft.state() == RaftState.LEADER ? 1 : 0)
                .description("1 while this node is the leader, else 0").register(registry);
        FunctionCounter.builder("skiff_raft_forwarded_commands", raft, r -> r.stats().forwardedCommands())
                .description("commands this node, as a follower, forwarded to the leader over the raft transport").register(registry);
        FunctionCounter.builder("skiff_raft_forwarded_reads", raft, r -> r.stats().forwardedReads())
                .description("reads this node, as a follower, served after asking the leader for a read index").register(registry);
        Gauge.builder("skiff_raft_peers", () -> raft.stats().numPeers())
                .description("other voters in the latest configuration").register(registry);
        leaderChanges = Counter.builder("skiff_raft_leader_changes").description("times the known leader changed")
                .register(registry);
        raft.addObserver(o -> {
            if (o instanceof Observation.LeaderChanged) {
                leaderChanges.increment();
            }
        });
        followerMatchIndex = MultiGauge.builder("skiff_raft_follower_match_index")
                .description("on the leader: highest log index known to be replicated on each follower")
                .register(registry);
        followerLag = MultiGauge.builder("skiff_raft_follower_lag_entries")
                .description("on the leader: committed entries each follower does not have yet (commit index - match index)")
                .register(registry);
        followerLastContact = MultiGauge.builder("skiff_raft_follower_last_contact_seconds")
                .description("on the leader: seconds since each follower last answered")
                .register(registry);
    }

    /** Exports one gauge per storage component: 1 while healthy, 0 while failing. */
    void watch(StorageHealth health) {
        for (String component : List.of(StorageHealth.LOG, StorageHealth.SNAPSHOTS, StorageHealth.DISCOVERY)) {
            Gauge.builder("skiff_storage_healthy", () -> health.problem(component).isEmpty() ? 1 : 0)
                    .description("1 while the storage component works, 0 while it is failing")
                    .tag("component", component).register(registry);
        }
    }

    void request(String route, String method, int status, long nanos) {
        // One timer per (route, method, status), looked up without building a meter on every request.
        requestTimers.computeIfAbsent(new RequestKey(route, method, status), k -> Timer.builder("skiff_http_requests")
                .description("client API requests by route, method and status, and their latency")
                .tag("route", k.route()).tag("method", k.method()).tag("status", Integer.toString(k.status()))
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    }

    private record RequestKey(String route, String method, int status) {
    }

    void apply(long nanos) {
        applyTimer.record(nanos, TimeUnit.NANOSECONDS);
    }

    void error(String code) {
        Counter.builder("skiff_http_errors").description("client API error responses by error code")
                .tag("code", code).register(registry).increment();
    }

    void forwarded(String method) {
        Counter.builder("skiff_http_forwarded").description("client API requests this node forwarded to the leader, by method")
                .tag("method", method).register(registry).increment();
    }

    /** The Prometheus text exposition of every metric, with the follower gauges taken afresh. */
    String scrape() {
        List<FollowerLag> followers = FollowerLag.of(raft.stats());
        followerMatchIndex.register(followers.stream()
                .map(f -> MultiGauge.Row.of(Tags.of("follower", f.id()), f.matchIndex())).toList(), true);
        followerLag.register(followers.stream()
                .map(f -> MultiGauge.Row.of(Tags.of("follower", f.id()), f.lag())).toList(), true);
        followerLastContact.register(followers.stream()
                .map(f -> MultiGauge.Row.of(Tags.of("follower", f.id()), f.lastContactMillis() / 1000.0)).toList(), true);
        return registry.scrape();
    }
}
