package dev.skiff.api;

import dev.skiff.raft.Observation;
import dev.skiff.raft.RaftState;
import dev.skiff.raft.RaftStats;
import dev.skiff.raft.Server;
import io.undertow.server.HttpServerExchange;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code /healthz} (is the process worth keeping: 503 once Raft has stopped) and
 * {@code /readyz} (should a load balancer send it requests: 200 only while it knows a leader
 * and has applied to within {@code readyMaxLag} entries of the leader's commit index).
 */
final class HealthHandler {

    /** API.md §6: the default of {@code --ready-max-lag}. */
    static final long DEFAULT_READY_MAX_LAG = 1000;

    private final ApiContext ctx;
    private final long readyMaxLag;
    private final LeaderCommitIndex leaderCommit;
    /** Why Raft stopped on its own, once it has; a stop by shutdown leaves it null. */
    private volatile Throwable fatal;

    HealthHandler(ApiContext ctx, long readyMaxLag) {
        this.ctx = ctx;
        this.leaderCommit = new LeaderCommitIndex(ctx.forwarder().peers());
        this.readyMaxLag = readyMaxLag;
        ctx.raft().addObserver(o -> {
            if (o instanceof Observation.Fatal f) {
                fatal = f.cause();
            }
        });
    }

    /** Why Raft is not running, or null while it is. */
    private String stopped() {
        Throwable cause = fatal;
        if (cause != null) {
            return "Raft stopped after a fatal error: " + cause;
        }
        return ctx.raft().state() == RaftState.SHUTDOWN ? "Raft has stopped (the node is shutting down)" : null;
    }

    void healthz(HttpServerExchange exchange) {
        String stopped = stopped();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", stopped == null ? "ok" : "stopped");
        body.put("id", ctx.nodeId());
        if (stopped != null) {
            body.put("reason", stopped);
        }
        Responses.json(exchange, stopped == null ? 200 : 503, body);
    }

    void readyz(HttpServerExchange exchange) {
        RaftStats s = ctx.raft().stats();
        String reason = stopped();
        Long leaderCommitIndex = null;
        if (reason == null && s.leader().isEmpty()) {
            reason = "no leader is known";
        } else if (reason == null && s.state() != RaftState.LEADER && s.leader().get().apiAddress().isEmpty()) {
            // A node that has not received the configuration yet (a new or wiped one) knows the
            // leader only by its raft address: it cannot tell how far behind it is.
            reason = "the leader " + s.leader().get().id() + " is known but not its client address yet (this node has "
                    + "not received the cluster configuration); catching up";
        } else if (reason == null) {
            Server leader = s.leader().get();
            try {
                boolean local = s.state() == RaftState.LEADER
                        || exchange.getRequestHeaders().contains(LeaderCommitIndex.PROBE_HEADER);
                leaderCommitIndex = local ? s.commitIndex() : Math.max(s.commitIndex(), leaderCommit.of(leader));
                long lag = leaderCommitIndex - s.appliedIndex();
                if (lag > readyMaxLag) {
                    reason = "applied index " + s.appliedIndex() + " trails the leader's commit index " + leaderCommitIndex
                            + " by " + lag + " entries (more than --ready-max-lag " + readyMaxLag + "); catching up";
                }
            } catch (IOException e) {
                reason = "cannot learn how far the leader " + leader.id() + " has committed: " + e.getMessage();
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ready", reason == null);
        body.put("id", ctx.nodeId());
        body.put("state", s.state().name().toLowerCase());
        body.put("leader", s.leader().map(Server::id).orElse(null));
        body.put("commit_index", s.commitIndex());
        body.put("applied_index", s.appliedIndex());
        body.put("leader_commit_index", leaderCommitIndex);
        body.put("max_lag", readyMaxLag);
        if (reason != null) {
            body.put("reason", reason);
            exchange.getResponseHeaders().put(Responses.RETRY_AFTER, "1");
        }
        Responses.json(exchange, reason == null ? 200 : 503, body);
    }
}
