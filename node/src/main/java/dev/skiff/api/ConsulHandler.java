package dev.skiff.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skiff.acl.AclRules;
import dev.skiff.acl.OperatorAccess;
import dev.skiff.kv.KvEntry;
import dev.skiff.kv.KvKeys;
import dev.skiff.kv.KvResult;
import dev.skiff.kv.KvState;
import dev.skiff.kv.KvStateMachine;
import dev.skiff.kv.Session;
import dev.skiff.kv.TxnOp;
import dev.skiff.raft.RaftState;
import dev.skiff.raft.Server;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Consul-compatible HTTP API (API.md §8): the subset of Consul's that its clients use for
 * KV, transactions, sessions and locks, in Consul's request and response formats, with Consul's
 * errors (status and a plain-text body). Runs on a virtual worker thread; a blocking read parks
 * in {@link BlockingWaiters} holding no thread.
 *
 * <p>A follower serves reads itself (after the read barrier of their mode, taken through the
 * leader; {@code stale} without one) and waits out blocking reads on its own state. It proposes
 * key writes and transactions through its own Raft, which hands them to the leader over the raft
 * transport, unless they acquire a lock: those, and every session request, need the leader's
 * clock or its session timers ({@link CoordinationWrites}) and go to the leader's api port under
 * {@code /consul}, which only answers forwarded requests.
 */
final class ConsulHandler {

    /** The path prefix under which the api port serves requests forwarded from a Consul listener. */
    static final String FORWARD_PREFIX = "/consul";
    static final HttpString CONSUL_INDEX = new HttpString("X-Consul-Index");
    static final HttpString KNOWN_LEADER = new HttpString("X-Consul-KnownLeader");
    static final HttpString LAST_CONTACT = new HttpString("X-Consul-LastContact");
    static final HttpString EFFECTIVE_CONSISTENCY = new HttpString("X-Consul-Effective-Consistency");
    static final HttpString FILTERED_BY_ACLS = new HttpString("X-Consul-Results-Filtered-By-ACLs");
    private static final long DEFAULT_WAIT_MILLIS = 5 * 60_000;
    private static final long MAX_WAIT_MILLIS = 10 * 60_000;
    private static final long MIN_TTL_MILLIS = 10_000;
    private static final long MAX_TTL_MILLIS = 86_400_000;
    private static final long DEFAULT_LOCK_DELAY_MILLIS = 15_000;
    private static final Pattern GO_DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

    /** A Consul-style error: status and a plain-text body. */
    static final class ConsulError extends RuntimeException {
        final int status;

        ConsulError(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    private final ApiContext ctx;
    private final BlockingWaiters waiters;
    private final CoordinationWrites writes;
    private final java.util.concurrent.Executor workers;
    private final ConsulAcl acl;

    ConsulHandler(ApiContext ctx, BlockingWaiters waiters, CoordinationWrites writes, java.util.concurrent.Executor workers,
                  ConsulAcl acl) {
        this.acl = acl;
        this.ctx = ctx;
        this.waiters = waiters;
        this.writes = writes;
        this.workers = workers;
    }

    /**
     * Serves one request whose path is {@code path} (from {@code /v1/}). Returns true if the
     * exchange was parked (a blocking read): the caller must then leave it open.
     */
    boolean handle(HttpServerExchange exchange, String path) {
        String method = exchange.getRequestMethod().toString();
        // Consul answers its status endpoints without a token; everything else needs one when ACLs are on.
        switch (path) {
            case "/v1/status/leader" -> {
                statusLeader(exchange);
                return false;
            }
            case "/v1/status/peers" -> {
                statusPeers(exchange);
                return false;
            }
            default -> {
            }
        }
        AclRules rules = acl.authenticate(exchange);
        if (path.startsWith("/v1/kv/") || path.equals("/v1/kv")) {
            String key = RequestParts.decodePath(path.length() > 7 ? path.substring(7) : "");
            return switch (method) {
                case "GET" -> kvGet(exchange, key, rules);
                case "PUT", "POST" -> {
                    kvPut(exchange, key, rules);
                    yield false;
                }
                case "DELETE" -> {
                    kvDelete(exchange, key, rules);
                    yield false;
                }
                default -> throw methodNotAllowed(method);
            };
        }
        switch (path) {
            case "/v1/txn" -> txn(exchange, method, rules);
            case "/v1/session/create" -> sessionCreate(exchange, method);
            case "/v1/session/list" -> sessionList(exchange, null);
            case "/v1/agent/self" -> {
                ConsulAcl.requireOperator(rules, OperatorAccess.READ, path);
                agentSelf(exchange);
            }
            default -> {
                if (path.startsWith("/v1/session/renew/")) {
                    sessionRenew(exchange, method, path.substring("/v1/session/renew/".length()));
                } else if (path.startsWith("/v1/session/destroy/")) {
                    sessionDestroy(exchange, method, path.substring("/v1/session/destroy/".length()));
                } else if (path.startsWith("/v1/session/info/")) {
                    sessionInfo(exchange, path.substring("/v1/session/info/".length()));
                } else if (path.startsWith("/v1/session/node/")) {
                    sessionList(exchange, path.substring("/v1/session/node/".length()));
                } else {
                    throw new ConsulError(404, "Skiff's Consul-compatible API does not serve " + path
                            + " (it serves /v1/kv, /v1/txn, /v1/session, /v1/status and /v1/agent/self)");
                }
            }
        }
        return false;
    }

    private static ConsulError methodNotAllowed(String method) {
        return new ConsulError(405, "method " + method + " not allowed");
    }

    // ------------------------------------------------------------------ KV

    private enum Mode { STALE, DEFAULT, CONSISTENT }

    private static Mode mode(RequestParts q) {
        if (q.param("consistent") != null) {
            return Mode.CONSISTENT;
        }
        return q.param("stale") != null ? Mode.STALE : Mode.DEFAULT;
    }

    private boolean kvGet(HttpServerExchange exchange, String key, AclRules rules) {
        RequestParts q = RequestParts.ofQuery(exchange.getQueryString());
        boolean recurse = q.param("recurse") != null;
        boolean keys = q.param("keys") != null;
        if (!recurse && !keys) {
            requireKey(key);
            ConsulAcl.requireRead(rules, key);
        }
        boolean tree = recurse || keys;
        ToLongFunction<KvState> index = tree ? s -> s.watchIndexOfPrefix(key) : s -> s.watchIndex(key);
        if (park(exchange, q, index)) {
            return true;
        }
        Mode mode = mode(q);
        readBarrier(mode);
        KvState state = ctx.kv().state();
        headers(exchange, index.applyAsLong(state), mode);
        if (keys) {
            String separator = q.param("separator");
            LinkedHashSet<String> names = new LinkedHashSet<>();
            for (KvEntry e : readable(exchange, rules, tree(state, key))) {
                int cut = separator == null || separator.isEmpty() ? -1 : e.key().indexOf(separator, key.length());
                names.add(cut < 0 ? e.key() : e.key().substring(0, cut + separator.length()));
            }
            if (names.isEmpty()) {
                notFound(exchange);
            } else {
                Responses.json(exchange, 200, names);
            }
            return false;
        }
        List<KvEntry> found = recurse ? readable(exchange, rules, tree(state, key))
                : state.get(key).map(List::of).orElse(List.of());
        if (found.isEmpty()) {
            notFound(exchange);
        } else if (q.param("raw") != null && !recurse) {
            exchange.setStatusCode(200);
            exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/octet-stream");
            exchange.getResponseSender().send(ByteBuffer.wrap(found.get(0).value()));
        } else {
            List<Map<String, Object>> body = new ArrayList<>(found.size());
            for (KvEntry e : found) {
                body.add(kvJson(e, true));
            }
            Responses.json(exchange, 200, body);
        }
        return false;
    }

    /**
     * The entries of {@code all} the token may read; says so in Consul's header when it left
     * some out.
     */
    private List<KvEntry> readable(HttpServerExchange exchange, AclRules rules, List<KvEntry> all) {
        if (!acl.enabled()) {
            return all;
        }
        List<KvEntry> kept = new ArrayList<>(all.size());
        for (KvEntry e : all) {
            if (rules.mayRead(e.key())) {
                kept.add(e);
            }
        }
        if (kept.size() < all.size()) {
            exchange.getResponseHeaders().put(FILTERED_BY_ACLS, "true");
        }
        return kept;
    }

    private static void notFound(HttpServerExchange exchange) {
        exchange.setStatusCode(404);
        exchange.endExchange();
    }

    private static List<KvEntry> tree(KvState state, String prefix) {
        List<KvEntry> all = new ArrayList<>();
        String after = "";
        while (true) {
            var page = state.list(prefix, after, 10_000);
            all.addAll(page.items());
            if (!page.more()) {
                return all;
            }
            after = page.items().get(page.items().size() - 1).key();
        }
    }

    static Map<String, Object> kvJson(KvEntry e, boolean withValue) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("LockIndex", e.lockIndex());
        m.put("Key", e.key());
        m.put("Flags", e.flags());
        m.put("Value", withValue && e.value().length > 0 ? Base64.getEncoder().encodeToString(e.value()) : null);
        if (e.session() != null) {
            m.put("Session", e.session());
        }
        m.put("CreateIndex", e.createIndex());
        m.put("ModifyIndex", e.modifyIndex());
        return m;
    }

    private void kvPut(HttpServerExchange exchange, String key, AclRules rules) {
        requireKey(key);
        ConsulAcl.requireWrite(rules, key);
        RequestParts q = RequestParts.ofQuery(exchange.getQueryString());
        byte[] value = readBody(exchange);
        long flags = parseFlags(q.param("flags"));
        TxnOp op;
        if (q.param("acquire") != null) {
            op = new TxnOp(TxnOp.Verb.LOCK, key, value, flags, 0, requireSession(q.param("acquire")));
        } else if (q.param("release") != null) {
            op = new TxnOp(TxnOp.Verb.UNLOCK, key, value, flags, 0, requireSession(q.param("release")));
        } else if (q.param("cas") != null) {
            op = new TxnOp(TxnOp.Verb.CAS, key, value, flags, q.longParam("cas", 0), "");
        } else {
            op = new TxnOp(TxnOp.Verb.SET, key, value, flags, 0, "");
        }
        if (CoordinationWrites.needsLeaderClock(List.of(op)) && forwardIfFollower(exchange, value)) {
            return;
        }
        KvResult.TxnDone done = proposeTxn(List.of(op));
        if (!done.applied() && op.verb() == TxnOp.Verb.LOCK && done.error().equals(KvStateMachine.noSuchSession(op.session()))) {
            // Consul refuses an unknown session outright rather than answering false.
            throw new ConsulError(500, "invalid session \"" + op.session() + "\"");
        }
        consulIndex(exchange, done.index());
        text(exchange, 200, done.applied() ? "true" : "false");
    }

    private void kvDelete(HttpServerExchange exchange, String key, AclRules rules) {
        RequestParts q = RequestParts.ofQuery(exchange.getQueryString());
        boolean recurse = q.param("recurse") != null;
        if (recurse) {
            ConsulAcl.requireWritePrefix(rules, key);
        } else {
            requireKey(key);
            ConsulAcl.requireWrite(rules, key);
        }
        TxnOp op = recurse ? TxnOp.of(TxnOp.Verb.DELETE_TREE, key)
                : q.param("cas") != null ? new TxnOp(TxnOp.Verb.DELETE_CAS, key, new byte[0], 0, q.longParam("cas", 0), "")
                : TxnOp.of(TxnOp.Verb.DELETE, key);
        KvResult.TxnDone done = proposeTxn(List.of(op));
        consulIndex(exchange, done.index());
        text(exchange, 200, done.applied() ? "true" : "false");
    }

    // ------------------------------------------------------------------ txn

    private void txn(HttpServerExchange exchange, String method, AclRules rules) {
        if (!method.equals("PUT") && !method.equals("POST")) {
            throw methodNotAllowed(method);
        }
        byte[] body = readBody(exchange);
        JsonNode ops = parseJson(body);
        if (!ops.isArray()) {
            throw new ConsulError(400, "Failed to parse body: the transaction must be a JSON array of operations");
        }
        if (ops.size() > 64) {
            // Consul's own limit; Skiff's native /v1/txn takes up to 128 per branch.
            throw new ConsulError(413, "Transaction contains too many operations (" + ops.size() + " > 64)");
        }
        List<TxnOp> parsed = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            JsonNode kv = field(ops.get(i), "KV");
            if (!kv.isObject()) {
                throw new ConsulError(400, "Failed to parse body: operation " + i + " is not a KV operation"
                        + " (Skiff serves KV operations only)");
            }
            TxnOp op = txnOp(kv, i);
            authorize(rules, op);
            parsed.add(op);
        }
        if (CoordinationWrites.needsLeaderClock(parsed) && forwardIfFollower(exchange, body)) {
            return;
        }
        KvResult.TxnDone done = proposeTxn(parsed);
        consulIndex(exchange, done.index());
        Map<String, Object> answer = new LinkedHashMap<>();
        if (!done.applied()) {
            answer.put("Results", null);
            answer.put("Errors", List.of(Map.of("OpIndex", done.failedOp(), "What", done.error())));
            Responses.json(exchange, 409, answer);
            return;
        }
        List<Map<String, Object>> results = new ArrayList<>();
        for (KvResult.TxnResult r : done.results()) {
            boolean withValue = r.op().verb() == TxnOp.Verb.GET || r.op().verb() == TxnOp.Verb.GET_TREE;
            List<KvEntry> entries = r.op().verb() == TxnOp.Verb.GET_TREE ? readable(exchange, rules, r.entries()) : r.entries();
            for (KvEntry e : entries) {
                results.add(Map.of("KV", kvJson(e, withValue)));
            }
        }
        answer.put("Results", results);
        answer.put("Errors", null);
        Responses.json(exchange, 200, answer);
    }

    /** What one transaction operation needs (see {@link ConsulAcl}); a {@code get-tree} is filtered instead. */
    private static void authorize(AclRules rules, TxnOp op) {
        switch (op.verb()) {
            case GET, CHECK_INDEX, CHECK_SESSION, CHECK_NOT_EXISTS, CHECK_EXISTS, CHECK_VALUE ->
                    ConsulAcl.requireRead(rules, op.key());
            case SET, CAS, LOCK, UNLOCK, DELETE, DELETE_CAS -> ConsulAcl.requireWrite(rules, op.key());
            case DELETE_TREE -> ConsulAcl.requireWritePrefix(rules, op.key());
            case GET_TREE -> {
            }
        }
    }

    private static TxnOp txnOp(JsonNode kv, int i) {
        String verb = field(kv, "Verb").asText("");
        String key = field(kv, "Key").asText("");
        byte[] value;
        try {
            value = has(kv, "Value") ? Base64.getDecoder().decode(field(kv, "Value").asText()) : new byte[0];
        } catch (IllegalArgumentException e) {
            throw new ConsulError(400, "Failed to parse body: operation " + i + ": Value is not base64");
        }
        long flags = field(kv, "Flags").asLong(0);
        long index = field(kv, "Index").asLong(0);
        String session = field(kv, "Session").asText("");
        TxnOp.Verb v = switch (verb) {
            case "set" -> TxnOp.Verb.SET;
            case "cas" -> TxnOp.Verb.CAS;
            case "lock" -> TxnOp.Verb.LOCK;
            case "unlock" -> TxnOp.Verb.UNLOCK;
            case "get" -> TxnOp.Verb.GET;
            case "get-tree" -> TxnOp.Verb.GET_TREE;
            case "check-index" -> TxnOp.Verb.CHECK_INDEX;
            case "check-session" -> TxnOp.Verb.CHECK_SESSION;
            case "check-not-exists" -> TxnOp.Verb.CHECK_NOT_EXISTS;
            case "delete" -> TxnOp.Verb.DELETE;
            case "delete-tree" -> TxnOp.Verb.DELETE_TREE;
            case "delete-cas" -> TxnOp.Verb.DELETE_CAS;
            default -> throw new ConsulError(400, "Failed to parse body: operation " + i + ": unknown KV verb \"" + verb + "\"");
        };
        try {
            return new TxnOp(v, key, value, flags, index, session);
        } catch (IllegalArgumentException e) {
            throw new ConsulError(400, "Failed to parse body: operation " + i + ": " + e.getMessage());
        }
    }

    private KvResult.TxnDone proposeTxn(List<TxnOp> ops) {
        return writes.txn(ops);
    }

    // ------------------------------------------------------------------ sessions

    private void sessionCreate(HttpServerExchange exchange, String method) {
        if (!method.equals("PUT") && !method.equals("POST")) {
            throw methodNotAllowed(method);
        }
        byte[] body = readBody(exchange);
        if (forwardIfFollower(exchange, body)) {
            return;
        }
        JsonNode req = body.length == 0 ? Responses.JSON.createObjectNode() : parseJson(body);
        if (!req.isObject()) {
            throw new ConsulError(400, "Failed to parse body: a session is a JSON object");
        }
        long ttl = has(req, "TTL") && !field(req, "TTL").asText().isEmpty() ? duration(field(req, "TTL"), "TTL", false) : 0;
        if (ttl != 0 && (ttl < MIN_TTL_MILLIS || ttl > MAX_TTL_MILLIS)) {
            throw new ConsulError(400, "Invalid Session TTL '" + field(req, "TTL").asText() + "', must be between [10s=24h0m0s]");
        }
        long lockDelay = has(req, "LockDelay") ? duration(field(req, "LockDelay"), "LockDelay", true) : DEFAULT_LOCK_DELAY_MILLIS;
        String behaviorName = field(req, "Behavior").asText("release");
        Session.Behavior behavior = switch (behaviorName.isEmpty() ? "release" : behaviorName) {
            case "release" -> Session.Behavior.RELEASE;
            case "delete" -> Session.Behavior.DELETE;
            default -> throw new ConsulError(400, "Invalid Behavior setting '" + behaviorName + "'");
        };
        Session session = new Session(UUID.randomUUID().toString(), field(req, "Name").asText(""),
                has(req, "Node") ? field(req, "Node").asText() : ctx.nodeId(), ttl, lockDelay, behavior, 0);
        KvResult.SessionCreated created = writes.createSession(session);
        consulIndex(exchange, created.index());
        Responses.json(exchange, 200, Map.of("ID", created.id()));
    }

    private void sessionRenew(HttpServerExchange exchange, String method, String id) {
        if (!method.equals("PUT")) {
            throw methodNotAllowed(method);
        }
        if (forwardIfFollower(exchange, null)) {
            return;
        }
        Session s = writes.renewSession(id).orElseThrow(() -> new ConsulError(404, "Session id '" + id + "' not found"));
        headers(exchange, ctx.kv().state().appliedIndex(), Mode.DEFAULT);
        Responses.json(exchange, 200, List.of(sessionJson(s)));
    }

    private void sessionDestroy(HttpServerExchange exchange, String method, String id) {
        if (!method.equals("PUT")) {
            throw methodNotAllowed(method);
        }
        if (forwardIfFollower(exchange, null)) {
            return;
        }
        if (id.isEmpty() || id.length() > Session.MAX_ID_CHARS) {
            throw new ConsulError(400, "Missing session");
        }
        KvResult.SessionDestroyed done = writes.destroySession(id);
        consulIndex(exchange, done.index());
        text(exchange, 200, "true");
    }

    private void sessionInfo(HttpServerExchange exchange, String id) {
        RequestParts q = RequestParts.ofQuery(exchange.getQueryString());
        Mode mode = mode(q);
        readBarrier(mode);
        KvState state = ctx.kv().state();
        headers(exchange, state.appliedIndex(), mode);
        Responses.json(exchange, 200, state.session(id).map(s -> List.of(sessionJson(s))).orElse(List.of()));
    }

    private void sessionList(HttpServerExchange exchange, String node) {
        RequestParts q = RequestParts.ofQuery(exchange.getQueryString());
        Mode mode = mode(q);
        readBarrier(mode);
        KvState state = ctx.kv().state();
        headers(exchange, state.appliedIndex(), mode);
        List<Map<String, Object>> all = new ArrayList<>();
        for (Session s : state.sessions()) {
            if (node == null || node.equals(s.node())) {
                all.add(sessionJson(s));
            }
        }
        Responses.json(exchange, 200, all);
    }

    private static Map<String, Object> sessionJson(Session s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ID", s.id());
        m.put("Name", s.name());
        m.put("Node", s.node());
        m.put("LockDelay", s.lockDelayMillis() * 1_000_000L);
        m.put("Behavior", s.behavior().wireName());
        m.put("TTL", s.ttlMillis() == 0 ? "" : goDuration(s.ttlMillis()));
        m.put("NodeChecks", List.of());
        m.put("ServiceChecks", null);
        m.put("CreateIndex", s.createIndex());
        m.put("ModifyIndex", s.createIndex());
        return m;
    }

    // ------------------------------------------------------------------ status and agent

    private void statusLeader(HttpServerExchange exchange) {
        Responses.json(exchange, 200, ctx.raft().leader().map(Server::address).orElse(""));
    }

    private void statusPeers(HttpServerExchange exchange) {
        List<String> peers = new ArrayList<>();
        ctx.raft().configuration().voters().forEach(s -> peers.add(s.address()));
        Responses.json(exchange, 200, peers);
    }

    private void agentSelf(HttpServerExchange exchange) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("Datacenter", "dc1");
        config.put("NodeName", ctx.nodeId());
        config.put("NodeID", ctx.nodeId());
        config.put("Server", true);
        config.put("Revision", "skiff");
        config.put("Version", "1.16.0");
        Map<String, Object> member = new LinkedHashMap<>();
        member.put("Name", ctx.nodeId());
        member.put("Status", 1);
        Responses.json(exchange, 200, Map.of("Config", config, "Member", member, "Meta", Map.of()));
    }

    // ------------------------------------------------------------------ shared

    /**
     * Parks a blocking read ({@code index} given, and the watched index still equal to it) until
     * the index moves or the wait (with Consul's jitter of up to 1/16) runs out, then serves the
     * request again from the start without parking. Returns true if parked. A forwarded request
     * never parks: the follower waited already.
     */
    private boolean park(HttpServerExchange exchange, RequestParts q, ToLongFunction<KvState> index) {
        String seenParam = q.param("index");
        if (seenParam == null || Forwarder.wasForwarded(exchange) || exchange.getAttachment(RESUMED) != null) {
            return false;
        }
        long seen = q.longParam("index", 0);
        if (seen == 0) {
            return false;
        }
        long wait = q.param("wait") == null ? DEFAULT_WAIT_MILLIS : Math.min(MAX_WAIT_MILLIS, duration(q.param("wait"), "wait"));
        wait += ThreadLocalRandom.current().nextLong(wait / 16 + 1);
        return waiters.park(exchange.getIoThread(), ctx.kv()::state, s -> index.applyAsLong(s) != seen, wait,
                () -> workers.execute(() -> resume(exchange)));
    }

    /** Set by the server: serves a parked request once it wakes. */
    private java.util.function.Consumer<HttpServerExchange> resumer = e -> { };

    void onResume(java.util.function.Consumer<HttpServerExchange> resumer) {
        this.resumer = resumer;
    }

    private void resume(HttpServerExchange exchange) {
        exchange.putAttachment(RESUMED, Boolean.TRUE);
        resumer.accept(exchange);
    }

    static final io.undertow.util.AttachmentKey<Boolean> RESUMED = io.undertow.util.AttachmentKey.create(Boolean.class);

    /**
     * Runs the barrier of {@code mode} on this node, whatever its role (a follower gets the read
     * index from the leader and waits until it has applied it).
     */
    private void readBarrier(Mode mode) {
        if (mode != Mode.STALE) {
            ctx.await(mode == Mode.CONSISTENT ? ctx.raft().readIndex() : ctx.raft().leaseRead(), false);
        }
    }

    private boolean forwardIfFollower(HttpServerExchange exchange, byte[] body) {
        if (ctx.raft().state() == RaftState.LEADER) {
            return false;
        }
        forward(exchange, body);
        return true;
    }

    private void forward(HttpServerExchange exchange, byte[] body) {
        ctx.forwarder().forward(exchange, ctx.raft().leader().orElse(null), FORWARD_PREFIX,
                body == null ? null : () -> new ByteArrayInputStream(body), body == null ? 0 : body.length,
                ctx.timeout().plusSeconds(5), body != null || !exchange.getRequestMethod().toString().equals("GET"));
    }

    private void headers(HttpServerExchange exchange, long index, Mode mode) {
        consulIndex(exchange, index);
        boolean leader = ctx.raft().leader().isPresent();
        exchange.getResponseHeaders().put(KNOWN_LEADER, Boolean.toString(leader));
        exchange.getResponseHeaders().put(LAST_CONTACT, "0");
        exchange.getResponseHeaders().put(EFFECTIVE_CONSISTENCY, mode.name().toLowerCase(Locale.ROOT)
                .replace("default", "leader"));
    }

    private static void consulIndex(HttpServerExchange exchange, long index) {
        exchange.getResponseHeaders().put(CONSUL_INDEX, Long.toString(Math.max(1, index)));
    }

    private static void text(HttpServerExchange exchange, int status, String body) {
        Responses.text(exchange, status, "application/json", body);
    }

    private static void requireKey(String key) {
        if (key.isEmpty()) {
            throw new ConsulError(400, "Missing key name");
        }
        try {
            KvKeys.requireValid(key);
        } catch (IllegalArgumentException e) {
            throw new ConsulError(400, "Invalid key: " + e.getMessage());
        }
    }

    private static String requireSession(String id) {
        if (id.isEmpty() || id.length() > Session.MAX_ID_CHARS) {
            throw new ConsulError(400, "Invalid session \"" + id + "\"");
        }
        return id;
    }

    private static long parseFlags(String flags) {
        if (flags == null) {
            return 0;
        }
        try {
            return Long.parseUnsignedLong(flags);
        } catch (NumberFormatException e) {
            throw new ConsulError(400, "Invalid flags: " + flags);
        }
    }

    private byte[] readBody(HttpServerExchange exchange) {
        long declared = exchange.getRequestContentLength();
        if (declared > ctx.maxValueBytes()) {
            throw new ConsulError(413, "Request body(" + declared + " bytes) too large, max size: " + ctx.maxValueBytes() + " bytes");
        }
        exchange.startBlocking();
        try (InputStream in = exchange.getInputStream()) {
            byte[] body = in.readNBytes(ctx.maxValueBytes() + 1);
            if (body.length > ctx.maxValueBytes()) {
                throw new ConsulError(413, "Request body too large, max size: " + ctx.maxValueBytes() + " bytes");
            }
            return body;
        } catch (IOException e) {
            throw new ConsulError(400, "could not read the request body; nothing was written");
        }
    }

    private static JsonNode parseJson(byte[] body) {
        try {
            return Responses.JSON.readTree(body);
        } catch (IOException e) {
            throw new ConsulError(400, "Failed to parse body: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
    }

    /**
     * The field {@code name} of {@code object}, matched case-insensitively as Consul's Go JSON
     * decoding does (python-consul sends {@code "ttl"}, the Go client {@code "TTL"}); a missing
     * node if absent.
     */
    static JsonNode field(JsonNode object, String name) {
        JsonNode exact = object.get(name);
        if (exact != null) {
            return exact;
        }
        for (var it = object.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().equalsIgnoreCase(name)) {
                return e.getValue();
            }
        }
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    private static boolean has(JsonNode object, String name) {
        JsonNode n = field(object, name);
        return !n.isMissingNode() && !n.isNull();
    }

    private static long duration(JsonNode node, String what, boolean secondsIfSmall) {
        if (node.isNumber()) {
            long nanos = node.asLong();
            // Consul reads a bare number as nanoseconds, but one below a second as seconds.
            return secondsIfSmall && nanos > 0 && nanos < 1_000_000_000L ? nanos * 1000 : nanos / 1_000_000;
        }
        return duration(node.asText(), what);
    }

    /** Parses a Go duration ({@code 15s}, {@code 1m30s}, {@code 500ms}) into milliseconds. */
    static long duration(String text, String what) {
        String t = text.trim();
        if (t.equals("0")) {
            return 0;
        }
        Matcher m = GO_DURATION.matcher(t);
        double millis = 0;
        int at = 0;
        while (m.find() && m.start() == at) {
            double n = Double.parseDouble(m.group(1));
            millis += switch (m.group(2)) {
                case "ns" -> n / 1e6;
                case "us", "µs" -> n / 1e3;
                case "ms" -> n;
                case "s" -> n * 1e3;
                case "m" -> n * 60e3;
                default -> n * 3600e3;
            };
            at = m.end();
        }
        if (at == 0 || at != t.length()) {
            throw new ConsulError(400, "Invalid " + what + " '" + text + "': a duration like 15s, 1m30s or 500ms");
        }
        return (long) millis;
    }

    private static String goDuration(long millis) {
        return millis % 1000 == 0 ? (millis / 1000) + "s" : millis + "ms";
    }
}
