package dev.skiff.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skiff.raft.Configuration;
import dev.skiff.raft.RaftState;
import dev.skiff.raft.RaftStats;
import dev.skiff.raft.Server;
import io.undertow.server.HttpServerExchange;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code /v1/status}, {@code /v1/cluster/members[/{id}]} and
 * {@code /v1/cluster/leadership-transfer} (API.md §3). Membership changes and transfers go to
 * the leader (forwarded from followers).
 */
final class ClusterHandler {

    private static final int MAX_MEMBER_BODY = 4096;

    private final ApiContext ctx;
    private final CatchUpProbe promotionReadiness;

    ClusterHandler(ApiContext ctx) {
        this.ctx = ctx;
        this.promotionReadiness = new CatchUpProbe(ctx.nodeId());
    }

    void status(HttpServerExchange exchange) {
        RequestParts.ofQuery(exchange.getQueryString()).allowOnly(Set.of());
        RaftStats s = ctx.raft().stats();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", s.id());
        body.put("state", s.state().name().toLowerCase());
        body.put("term", s.term());
        body.put("leader", s.leader().map(l -> {
            Map<String, Object> leader = new LinkedHashMap<>();
            leader.put("id", l.id());
            leader.put("apiAddress", l.apiAddress());
            return (Object) leader;
        }).orElse(null));
        body.put("commit_index", s.commitIndex());
        body.put("applied_index", s.appliedIndex());
        body.put("fsm_pending", s.fsmPending());
        body.put("last_log_index", s.lastLogIndex());
        body.put("last_log_term", s.lastLogTerm());
        body.put("last_snapshot_index", s.lastSnapshotIndex());
        body.put("last_snapshot_term", s.lastSnapshotTerm());
        body.put("latest_configuration", members(s.latestConfiguration()));
        body.put("latest_configuration_index", s.latestConfigurationIndex());
        body.put("num_peers", s.numPeers());
        body.put("last_contact", s.lastContact().map(d -> d.toMillis() + "ms").orElse("never"));
        Map<String, Object> storage = new LinkedHashMap<>();
        ctx.health().current().forEach((component, problem) -> storage.put(component, problem.orElse("ok")));
        body.put("storage", storage);
        body.put("followers", FollowerLag.json(s));
        body.put("stats", s.toMap());
        Responses.json(exchange, 200, body);
    }

    static List<Map<String, Object>> members(Configuration c) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Server srv : c.servers()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", srv.id());
            m.put("raftAddress", srv.address());
            m.put("apiAddress", srv.apiAddress());
            m.put("suffrage", srv.isVoter() ? "voter" : "nonvoter");
            out.add(m);
        }
        return out;
    }

    void members(HttpServerExchange exchange, String idPath) {
        String method = exchange.getRequestMethod().toString();
        RequestParts query = RequestParts.ofQuery(exchange.getQueryString());
        if (idPath == null) {
            switch (method) {
                case "GET" -> {
                    query.allowOnly(Set.of());
                    Responses.json(exchange, 200, Map.of("members", members(ctx.raft().configuration()),
                            "index", ctx.raft().stats().latestConfigurationIndex()));
                }
                case "POST" -> {
                    query.allowOnly(Set.of());
                    addMember(exchange);
                }
                default -> throw new ApiException(405, "method_not_allowed", method + " is not allowed on /v1/cluster/members; use GET or POST");
            }
            return;
        }
        if (!method.equals("DELETE")) {
            throw new ApiException(405, "method_not_allowed", method + " is not allowed on a member; use DELETE");
        }
        query.allowOnly(Set.of());
        String id = RequestParts.decodePath(idPath);
        if (!onLeaderOrForward(exchange, null)) {
            return;
        }
        if (ctx.raft().configuration().server(id).isEmpty()) {
            throw ApiException.notFound("no member with id " + id);
        }
        long index = ctx.await(ctx.raft().removeServer(id, 0, ctx.timeout()), true);
        Responses.json(exchange, 200, Map.of("index", index));
    }

    private void addMember(HttpServerExchange exchange) {
        byte[] body = readSmallBody(exchange);
        if (!onLeaderOrForward(exchange, body)) {
            return;
        }
        JsonNode json;
        try {
            json = Responses.JSON.readTree(body);
        } catch (IOException e) {
            throw ApiException.badRequest("the body must be JSON {\"id\",\"raftAddress\",\"apiAddress\",\"voter\"}: " + e.getMessage());
        }
        if (json == null || !json.isObject()) {
            throw ApiException.badRequest("the body must be a JSON object");
        }
        String id = requiredText(json, "id");
        String raftAddress = requiredText(json, "raftAddress");
        String apiAddress = json.hasNonNull("apiAddress") ? json.get("apiAddress").asText() : "";
        boolean voter = !json.has("voter") || json.get("voter").asBoolean(true);
        try {
            new Server(id, raftAddress, dev.skiff.raft.Suffrage.VOTER, apiAddress);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        var existing = ctx.raft().configuration().server(id);
        boolean sameAddresses = existing.isPresent() && existing.get().address().equals(raftAddress)
                && existing.get().apiAddress().equals(apiAddress);
        if (sameAddresses && existing.get().isVoter() == voter) {
            Responses.json(exchange, 200, Map.of("index", ctx.raft().stats().latestConfigurationIndex(), "changed", false));
            return;
        }
        if (!voter || (existing.isPresent() && existing.get().isVoter())) {
            // A non-voter, or a voter that moved to new addresses: one change does it.
            long index = ctx.await(voter
                    ? ctx.raft().addVoter(id, raftAddress, apiAddress, 0, ctx.timeout())
                    : ctx.raft().addNonvoter(id, raftAddress, apiAddress, 0, ctx.timeout()), true);
            Responses.json(exchange, 200, Map.of("index", index, "changed", true));
            return;
        }
        // A new voter joins as a non-voter and is promoted only once it has caught up, so that a
        // server that cannot replicate (down, slow, or with another cluster secret) never
        // counts toward the quorum (thesis §4.2.1).
        if (!sameAddresses) {
            ctx.await(ctx.raft().addNonvoter(id, raftAddress, apiAddress, 0, ctx.timeout()), true);
        }
        long target = ctx.raft().stats().commitIndex();
        String progress = promotionReadiness.awaitCaughtUp(id, apiAddress, target, ctx.timeout());
        if (progress != null) {
            throw new ApiException(503, "catching_up", id + " is a non-voter catching up (" + progress
                    + "); it is promoted to voter once it has the log up to index " + target + " — retry");
        }
        long index = ctx.await(ctx.raft().addVoter(id, raftAddress, apiAddress, 0, ctx.timeout()), true);
        Responses.json(exchange, 200, Map.of("index", index, "changed", true));
    }

    private static String requiredText(JsonNode json, String field) {
        JsonNode v = json.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw ApiException.badRequest("field '" + field + "' is required and must be a non-empty string");
        }
        return v.asText();
    }

    void leadershipTransfer(HttpServerExchange exchange) {
        if (!exchange.getRequestMethod().toString().equals("POST")) {
            throw new ApiException(405, "method_not_allowed", "use POST to transfer leadership");
        }
        RequestParts query = RequestParts.ofQuery(exchange.getQueryString()).allowOnly(Set.of("to"));
        if (!onLeaderOrForward(exchange, null)) {
            return;
        }
        String to = query.param("to");
        if (to != null) {
            Server target = ctx.raft().configuration().server(to)
                    .orElseThrow(() -> ApiException.badRequest("no member with id " + to));
            ctx.await(ctx.raft().leadershipTransferToServer(target.id(), target.address()), false);
        } else {
            ctx.await(ctx.raft().leadershipTransfer(), false);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("previousLeader", ctx.nodeId());
        body.put("leader", ctx.raft().leader().map(Server::id).orElse(null));
        Responses.json(exchange, 200, body);
    }

    /** True if this node is the leader; otherwise forwards (with {@code body}) and returns false. */
    private boolean onLeaderOrForward(HttpServerExchange exchange, byte[] body) {
        if (ctx.raft().state() == RaftState.LEADER) {
            return true;
        }
        ctx.forwarder().forward(exchange, ctx.raft().leader().orElse(null),
                body == null ? null : () -> (InputStream) new ByteArrayInputStream(body), true);
        return false;
    }

    private static byte[] readSmallBody(HttpServerExchange exchange) {
        exchange.startBlocking();
        try (InputStream in = exchange.getInputStream()) {
            byte[] body = in.readNBytes(MAX_MEMBER_BODY + 1);
            if (body.length > MAX_MEMBER_BODY) {
                throw new ApiException(413, "body_too_large", "the body is over " + MAX_MEMBER_BODY + " bytes");
            }
            return body;
        } catch (IOException e) {
            throw ApiException.badRequest("could not read the request body: " + e.getMessage());
        }
    }
}
