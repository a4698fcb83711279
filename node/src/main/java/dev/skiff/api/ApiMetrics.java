package dev.skiff.api;

import dev.skiff.raft.Observation;
import dev.skiff.raft.Raft;
import dev.skiff.raft.RaftState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;

/**
 * The node's metrics in Micrometer's Prometheus registry: Raft state (term, commit and applied
 * index, leader changes), request and apply latency histograms, forwarded requests, and errors
 * by code. Thread-safe.
 */
public final class ApiMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter leaderChanges;

    /** Registers the Raft gauges of {@code raft}. */
    public ApiMetrics(Raft raft) {
        Gauge.builder("skiff_raft_term", () -> raft.stats().term()).description("current Raft term").register(registry);
        Gauge.builder("skiff_raft_commit_index", () -> raft.stats().commitIndex()).register(registry);
        Gauge.builder("skiff_raft_applied_index", raft::appliedIndex).register(registry);
        Gauge.builder("skiff_raft_last_log_index", () -> raft.stats().lastLogIndex()).register(registry);
        Gauge.builder("skiff_raft_last_snapshot_index", () -> raft.stats().lastSnapshotIndex()).register(registry);
        Gauge.builder("skiff_raft_is_leader", () -> raft.state() == RaftState.LEADER ? 1 : 0).register(registry);
        Gauge.builder("skiff_raft_peers", () -> raft.stats().numPeers()).register(registry);
        leaderChanges = Counter.builder("skiff_raft_leader_changes").description("times the known leader changed")
                .register(registry);
        raft.addObserver(o -> {
            if (o instanceof Observation.LeaderChanged) {
                leaderChanges.increment();
            }
        });
    }

    /** Exports one gauge per storage component: 1 while healthy, 0 while failing. */
    void watch(dev.skiff.storage.StorageHealth health) {
        for (String component : java.util.List.of(dev.skiff.storage.StorageHealth.LOG,
                dev.skiff.storage.StorageHealth.SNAPSHOTS, dev.skiff.storage.StorageHealth.DISCOVERY)) {
            Gauge.builder("skiff_storage_healthy", () -> health.problem(component).isEmpty() ? 1 : 0)
                    .description("1 while the storage component works, 0 while it is failing")
                    .tag("component", component).register(registry);
        }
    }

    void request(String route, String method, int status, long nanos) {
        Timer.builder("skiff_http_requests").tag("route", route).tag("method", method).tag("status", Integer.toString(status))
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry).record(Duration.ofNanos(nanos));
    }

    void apply(long nanos) {
        Timer.builder("skiff_raft_apply").description("time from Raft.apply to the FSM's response on the leader")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry).record(Duration.ofNanos(nanos));
    }

    void error(String code) {
        Counter.builder("skiff_http_errors").tag("code", code).register(registry).increment();
    }

    void forwarded(String method) {
        Counter.builder("skiff_http_forwarded").tag("method", method).register(registry).increment();
    }

    /** The Prometheus text exposition of every metric. */
    String scrape() {
        return registry.scrape();
    }
}
