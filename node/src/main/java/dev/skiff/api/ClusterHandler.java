package dev.skiff.api;

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
import java.util.Optional;
import java.util.Set;

/**
 * {@code /v1/status}, {@code /v1/cluster/members[/{id}]} and
 * {@code /v1/cluster/leadership-transfer} (API.md §3, §6). Membership changes and transfers go
 * to the leader (forwarded from followers); POST only adds, PUT only changes addresses.
 */
final class ClusterHandler {

    private static final int MAX_MEMBER_BODY = 4096;

    private final ApiContext ctx;
    private final CatchUpProbe promotionReadiness;
    /** Extra parts of /v1/status that other components report (the log archive), by name. */
    private final java.util.Map<String, java.util.function.Supplier<Object>> statusSections =
            new java.util.concurrent.ConcurrentSkipListMap<>();

    ClusterHandler(ApiContext ctx) {
        this.ctx = ctx;
        this.promotionReadiness = new CatchUpProbe(ctx.nodeId(), ctx.forwarder().peers());
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
        statusSections.forEach((name, section) -> body.put(name, section.get()));
        Responses.json(exchange, 200, body);
    }

    /** Adds {@code name} to /v1/status, with what {@code section} gives at each request. */
    void addStatusSection(String name, java.util.function.Supplier<Object> section) {
        statusSections.put(name, section);
    }

    static List<Map<String, Object>> members(Configuration c) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Server srv : c.servers()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", srv.id());
            m.put("raftAddress", srv.address());
            m.put("apiAddress", srv.apiAddress());
            m.put("suffrage", srv.suffrage().name().toLowerCase(java.util.Locale.ROOT));
            out.add(m);
        }
        return out;
    }

    /**
     * {@code /v1/cluster/members} ({@code idPath} null): GET lists, POST adds. {@code
     * /v1/cluster/members/{id}}: PUT changes the member's addresses, DELETE removes it. Bodies
     * are validated on the node that receives them, before anything is forwarded.
     */
    void members(HttpServerExchange exchange, String idPath) {
        String method = exchange.getRequestMethod().toString();
        RequestParts.ofQuery(exchange.getQueryString()).allowOnly(Set.of());
        if (idPath == null) {
            switch (method) {
                case "GET" -> Responses.json(exchange, 200, Map.of("members", members(ctx.raft().configuration()),
                        "index", ctx.raft().stats().latestConfigurationIndex()));
                case "POST" -> addMember(exchange);
                default -> throw new ApiException(405, "method_not_allowed", method
                        + " is not allowed on /v1/cluster/members; use GET to list the members or POST to add one");
            }
            return;
        }
        if (!method.equals("PUT") && !method.equals("DELETE")) {
            throw new ApiException(405, "method_not_allowed", method + " is not allowed on a member; use PUT to change "
                    + "its addresses or DELETE to remove it");
        }
        String id = RequestParts.decodePath(idPath);
        if (id.isEmpty()) {
            throw ApiException.badRequest("the member id is missing: " + method + " /v1/cluster/members/{id}");
        }
        if (method.equals("PUT")) {
            updateMember(exchange, id);
        } else {
            removeMember(exchange, id);
        }
    }

    /** A member as {@code POST /v1/cluster/members} describes it, validated. */
    private record NewMember(String id, String raftAddress, String apiAddress, boolean voter) {

        static final List<String> FIELDS = List.of("id", "raftAddress", "apiAddress", "voter");
        static final String SHAPE = "{\"id\":\"n4\",\"raftAddress\":\"host:port\",\"apiAddress\":\"host:port\",\"voter\":true}";

        static NewMember parse(byte[] body) {
            JsonBody json = JsonBody.parseObject(body, FIELDS, SHAPE);
            String id = json.requiredText("id");
            MemberRules.idProblem(id).ifPresent(p -> {
                throw ApiException.badRequest("field 'id': " + p);
            });
            return new NewMember(id, address(json.requiredText("raftAddress"), "raftAddress"),
                    address(json.requiredText("apiAddress"), "apiAddress"), json.bool("voter", true));
        }
    }

    /** New addresses for a member, as {@code PUT /v1/cluster/members/{id}} gives them (either may be absent). */
    private record NewAddresses(Optional<String> raftAddress, Optional<String> apiAddress) {

        static final List<String> FIELDS = List.of("raftAddress", "apiAddress");
        static final String SHAPE = "{\"raftAddress\":\"host:port\",\"apiAddress\":\"host:port\"} (either may be left out)";

        static NewAddresses parse(byte[] body) {
            JsonBody json = JsonBody.parseObject(body, FIELDS, SHAPE);
            NewAddresses a = new NewAddresses(json.optionalText("raftAddress").map(v -> address(v, "raftAddress")),
                    json.optionalText("apiAddress").map(v -> address(v, "apiAddress")));
            if (a.raftAddress().isEmpty() && a.apiAddress().isEmpty()) {
                throw ApiException.badRequest("nothing to change: send " + SHAPE);
            }
            return a;
        }
    }

    private static String address(String value, String field) {
        MemberRules.addressProblem(value).ifPresent(p -> {
            throw ApiException.badRequest("field '" + field + "': " + p);
        });
        return value;
    }

    private void addMember(HttpServerExchange exchange) {
        byte[] body = readSmallBody(exchange);
        NewMember m = NewMember.parse(body);
        if (!onLeaderOrForward(exchange, body)) {
            return;
        }
        Configuration config = ctx.raft().configuration();
        Optional<Server> existing = config.server(m.id());
        if (existing.isEmpty()) {
            refuseTakenAddress(config, m.id(), m.raftAddress());
            if (!m.voter()) {
                long index = ctx.await(ctx.raft().addNonvoter(m.id(), m.raftAddress(), m.apiAddress(), 0, ctx.timeout()), true);
                Responses.json(exchange, 200, Map.of("index", index, "changed", true));
                return;
            }
            // A new voter joins as a non-voter and is promoted only once it has caught up, so that a
            // server that cannot replicate (down, slow, or with another cluster secret) never
            // counts toward the quorum (thesis §4.2.1).
            ctx.await(ctx.raft().addNonvoter(m.id(), m.raftAddress(), m.apiAddress(), 0, ctx.timeout()), true);
            promote(exchange, m);
            return;
        }
        Server s = existing.get();
        if (!s.address().equals(m.raftAddress()) || !s.apiAddress().equals(m.apiAddress())) {
            throw new ApiException(409, "member_exists", "member " + m.id() + " already exists with raftAddress "
                    + s.address() + " and apiAddress " + s.apiAddress() + "; POST only adds new members: change its "
                    + "addresses with PUT /v1/cluster/members/" + m.id() + ", or remove it first with DELETE");
        }
        if (s.isVoter() == m.voter()) {
            // The same request again (a join that is retried): nothing to do.
            Responses.json(exchange, 200, Map.of("index", ctx.raft().stats().latestConfigurationIndex(), "changed", false));
            return;
        }
        if (s.isVoter()) {
            throw new ApiException(409, "member_exists", "member " + m.id() + " is already a voter; POST does not demote: "
                    + "remove it with DELETE /v1/cluster/members/" + m.id() + " and add it again with \"voter\":false");
        }
        // A non-voter asking again to be a voter: the promotion step of a join.
        promote(exchange, m);
    }

    /** Makes the non-voter {@code m} a voter once it has the log up to the current commit index. */
    private void promote(HttpServerExchange exchange, NewMember m) {
        long target = ctx.raft().stats().commitIndex();
        String progress = promotionReadiness.awaitCaughtUp(m.id(), m.apiAddress(), target, ctx.timeout(),
                AclGuard.presentedToken(exchange).filter(t -> dev.skiff.acl.TokenSecrets.problem(t) == null).orElse(null));
        if (progress != null) {
            throw new ApiException(503, "catching_up", m.id() + " is a non-voter catching up (" + progress
                    + "); it is promoted to voter once it has the log up to index " + target + " — retry");
        }
        long index = ctx.await(ctx.raft().addVoter(m.id(), m.raftAddress(), m.apiAddress(), 0, ctx.timeout()), true);
        Responses.json(exchange, 200, Map.of("index", index, "changed", true));
    }

    private void updateMember(HttpServerExchange exchange, String id) {
        byte[] body = readSmallBody(exchange);
        NewAddresses given = NewAddresses.parse(body);
        if (!onLeaderOrForward(exchange, body)) {
            return;
        }
        Configuration config = ctx.raft().configuration();
        Server s = config.server(id).orElseThrow(() -> ApiException.notFound("no member with id " + id
                + "; add it with POST /v1/cluster/members"));
        String raftAddress = given.raftAddress().orElse(s.address());
        String apiAddress = given.apiAddress().orElse(s.apiAddress());
        if (raftAddress.equals(s.address()) && apiAddress.equals(s.apiAddress())) {
            Responses.json(exchange, 200, Map.of("index", ctx.raft().stats().latestConfigurationIndex(), "changed", false));
            return;
        }
        if (id.equals(ctx.nodeId())) {
            throw new ApiException(409, "conflict", id + " is the leader answering this request and listens where its own "
                    + "flags say; to move it, restart it with the new --advertise-raft/--advertise-api (or --raft-addr/--api-addr)");
        }
        refuseTakenAddress(config, id, raftAddress);
        // Re-adding the id with other addresses replaces its entry in one configuration change,
        // keeping its suffrage.
        long index = ctx.await(s.isVoter()
                ? ctx.raft().addVoter(id, raftAddress, apiAddress, 0, ctx.timeout())
                : ctx.raft().addNonvoter(id, raftAddress, apiAddress, 0, ctx.timeout()), true);
        Responses.json(exchange, 200, Map.of("index", index, "changed", true));
    }

    /** Two members at one raft address would receive each other's messages. */
    private static void refuseTakenAddress(Configuration config, String id, String raftAddress) {
        for (Server other : config.servers()) {
            if (!other.id().equals(id) && other.address().equals(raftAddress)) {
                throw new ApiException(409, "address_in_use", "raftAddress " + raftAddress + " belongs to member "
                        + other.id() + "; if " + other.id() + " is gone, remove it first with DELETE /v1/cluster/members/" + other.id());
            }
        }
    }

    private void removeMember(HttpServerExchange exchange, String id) {
        if (!onLeaderOrForward(exchange, null)) {
            return;
        }
        if (ctx.raft().configuration().server(id).isEmpty()) {
            throw ApiException.notFound("no member with id " + id);
        }
        long index = ctx.await(ctx.raft().removeServer(id, 0, ctx.timeout()), true);
        Responses.json(exchange, 200, Map.of("index", index));
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
                throw new ApiException(413, "body_too_large", "the body is over " + MAX_MEMBER_BODY
                        + " bytes; a member request is a small JSON object");
            }
            return body;
        } catch (IOException e) {
            throw ApiException.badRequest("the connection broke before the whole request body arrived; send it again");
        }
    }
}
