package dev.skiff.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skiff.acl.AclRules;
import dev.skiff.kv.CoordinationCommand;
import dev.skiff.kv.KvCommand;
import dev.skiff.kv.KvEntry;
import dev.skiff.kv.KvKeys;
import dev.skiff.kv.KvResult;
import dev.skiff.kv.Session;
import dev.skiff.kv.TxnOp;
import dev.skiff.raft.RaftState;
import io.undertow.server.HttpServerExchange;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The native coordination endpoints (API.md §8) besides the key ones: {@code POST /v1/txn}
 * (compare, then the success or the failure operations, in one Raft entry) and sessions
 * ({@code POST /v1/session}, {@code PUT /v1/session/{id}/renew}, {@code DELETE} and {@code GET
 * /v1/session/{id}}). Errors are the native API's JSON. A follower proposes transactions through
 * its own Raft and forwards session writes to the leader, which checks the token again
 * ({@link CoordinationWrites} says why). Runs on a virtual worker thread.
 */
final class CoordinationHandler {

    private static final String TXN_SHAPE = "{\"compare\":[{\"key\":\"k\",\"modifyIndex\":N}],\"success\":[{\"op\":\"put\","
            + "\"key\":\"k\",\"value\":\"base64\"}],\"failure\":[]}";
    private static final String SESSION_SHAPE = "{\"name\":\"…\",\"ttl\":\"15s\",\"lockDelay\":\"15s\",\"behavior\":\"release\"|\"delete\"}";
    private static final long MIN_TTL_MILLIS = 10_000;
    private static final long MAX_TTL_MILLIS = 86_400_000;
    private static final long DEFAULT_LOCK_DELAY_MILLIS = 15_000;
    private static final long MAX_LOCK_DELAY_MILLIS = 60_000;

    private final ApiContext ctx;
    private final CoordinationWrites writes;

    CoordinationHandler(ApiContext ctx, CoordinationWrites writes) {
        this.ctx = ctx;
        this.writes = writes;
    }

    // ------------------------------------------------------------------ transactions

    /** {@code POST /v1/txn}. */
    void txn(HttpServerExchange exchange) {
        requireMethod(exchange, "POST");
        byte[] body = readBody(exchange, ctx.maxValueBytes() * 2L + (1 << 20));
        JsonBody json = JsonBody.parseObject(body, List.of("compare", "success", "failure"), TXN_SHAPE);
        AclRules rules = AclGuard.rules(exchange);
        List<TxnOp> compare = compares(json.node("compare"), rules);
        List<TxnOp> success = ops(json.node("success"), "success", rules);
        List<TxnOp> failure = ops(json.node("failure"), "failure", rules);
        if (CoordinationWrites.needsLeaderClock(success, failure) && forwardIfFollower(exchange, body)) {
            return;
        }
        KvResult.TxnDone done = writes.txn(compare, success, failure);
        if (!done.applied()) {
            // put, get, delete and delete-prefix cannot fail inside a branch.
            throw new ApiException(500, "internal", "the transaction's operation " + done.failedOp() + " failed: " + done.error());
        }
        List<Map<String, Object>> results = new ArrayList<>(done.results().size());
        for (KvResult.TxnResult r : done.results()) {
            results.add(result(r));
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("succeeded", done.succeeded());
        answer.put("index", done.index());
        answer.put("results", results);
        ctx.raft().leader().ifPresent(l -> exchange.getResponseHeaders().put(KvHandler.LEADER, l.id()));
        Responses.json(exchange, 200, answer);
    }

    private static Map<String, Object> result(KvResult.TxnResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        switch (r.op().verb()) {
            case SET -> {
                m.put("op", "put");
                m.put("key", r.op().key());
                m.put("modifyIndex", r.entries().get(0).modifyIndex());
            }
            case GET -> {
                m.put("op", "get");
                m.put("key", r.op().key());
                m.put("found", !r.entries().isEmpty());
                if (!r.entries().isEmpty()) {
                    KvEntry e = r.entries().get(0);
                    m.putAll(KvHandler.metaJson(e));
                }
            }
            case DELETE -> {
                m.put("op", "delete");
                m.put("key", r.op().key());
                m.put("deleted", r.deleted() > 0);
            }
            case DELETE_TREE -> {
                m.put("op", "delete-prefix");
                m.put("prefix", r.op().key());
                m.put("deleted", r.deleted());
            }
            default -> throw new IllegalStateException("not a native transaction operation: " + r.op());
        }
        return m;
    }

    private static List<TxnOp> compares(JsonNode list, AclRules rules) {
        List<TxnOp> out = new ArrayList<>();
        for (JsonNode c : array(list, "compare")) {
            String where = "compare[" + out.size() + "]";
            requireFields(c, where, Set.of("key", "modifyIndex", "value", "exists"));
            String key = key(c, where);
            int given = (c.has("modifyIndex") ? 1 : 0) + (c.has("value") ? 1 : 0) + (c.has("exists") ? 1 : 0);
            if (given != 1) {
                throw ApiException.badRequest(where + " must give exactly one of modifyIndex, value and exists");
            }
            if (!rules.mayRead(key)) {
                throw forbidden("this token may not read the key " + key + " (" + where + ")");
            }
            if (c.has("modifyIndex")) {
                JsonNode n = c.get("modifyIndex");
                if (!n.canConvertToExactIntegral() || !n.canConvertToLong() || n.asLong() < 0) {
                    throw ApiException.badRequest(where + ".modifyIndex must be a non-negative integer (0: the key is absent)");
                }
                out.add(new TxnOp(TxnOp.Verb.CHECK_INDEX, key, new byte[0], 0, n.asLong(), ""));
            } else if (c.has("value")) {
                out.add(new TxnOp(TxnOp.Verb.CHECK_VALUE, key, base64(c.get("value"), where + ".value"), 0, 0, ""));
            } else {
                if (!c.get("exists").isBoolean()) {
                    throw ApiException.badRequest(where + ".exists must be true or false");
                }
                out.add(TxnOp.of(c.get("exists").booleanValue() ? TxnOp.Verb.CHECK_EXISTS : TxnOp.Verb.CHECK_NOT_EXISTS, key));
            }
        }
        return out;
    }

    private static List<TxnOp> ops(JsonNode list, String branch, AclRules rules) {
        List<TxnOp> out = new ArrayList<>();
        for (JsonNode o : array(list, branch)) {
            String where = branch + "[" + out.size() + "]";
            if (!o.isObject() || !o.path("op").isTextual()) {
                throw ApiException.badRequest(where + " must be an object with \"op\": put, get, delete or delete-prefix");
            }
            String op = o.get("op").asText();
            switch (op) {
                case "put" -> {
                    requireFields(o, where, Set.of("op", "key", "value", "flags"));
                    String key = key(o, where);
                    if (!rules.mayWrite(key)) {
                        throw forbidden("this token may not write the key " + key + " (" + where + ")");
                    }
                    JsonNode flags = o.path("flags");
                    if (!flags.isMissingNode() && (!flags.canConvertToExactIntegral() || !flags.canConvertToLong() || flags.asLong() < 0)) {
                        throw ApiException.badRequest(where + ".flags must be a non-negative integer");
                    }
                    byte[] value = o.has("value") ? base64(o.get("value"), where + ".value") : new byte[0];
                    out.add(new TxnOp(TxnOp.Verb.SET, key, value, flags.asLong(0), 0, ""));
                }
                case "get" -> {
                    requireFields(o, where, Set.of("op", "key"));
                    String key = key(o, where);
                    if (!rules.mayRead(key)) {
                        throw forbidden("this token may not read the key " + key + " (" + where + ")");
                    }
                    out.add(TxnOp.of(TxnOp.Verb.GET, key));
                }
                case "delete" -> {
                    requireFields(o, where, Set.of("op", "key"));
                    String key = key(o, where);
                    if (!rules.mayWrite(key)) {
                        throw forbidden("this token may not write the key " + key + " (" + where + ")");
                    }
                    out.add(TxnOp.of(TxnOp.Verb.DELETE, key));
                }
                case "delete-prefix" -> {
                    requireFields(o, where, Set.of("op", "prefix"));
                    if (!o.path("prefix").isTextual()) {
                        throw ApiException.badRequest(where + ".prefix must be a string (\"\" is every key)");
                    }
                    String prefix = o.get("prefix").asText();
                    if (!prefix.isEmpty()) {
                        requireKey(prefix, where + ".prefix");
                    }
                    if (!rules.mayWritePrefix(prefix)) {
                        throw forbidden("this token may not write every key under the prefix " + prefix + " (" + where + ")");
                    }
                    out.add(TxnOp.of(TxnOp.Verb.DELETE_TREE, prefix));
                }
                default -> throw ApiException.badRequest(where + ".op is '" + op + "'; use put, get, delete or delete-prefix");
            }
        }
        return out;
    }

    private static List<JsonNode> array(JsonNode list, String name) {
        if (list == null || list.isNull()) {
            return List.of();
        }
        if (!list.isArray()) {
            throw ApiException.badRequest("'" + name + "' must be an array; send " + TXN_SHAPE);
        }
        if (list.size() > CoordinationCommand.MAX_OPS) {
            throw ApiException.badRequest("'" + name + "' has " + list.size() + " entries; a transaction takes at most "
                    + CoordinationCommand.MAX_OPS + " in each of compare, success and failure");
        }
        List<JsonNode> out = new ArrayList<>(list.size());
        list.forEach(out::add);
        return out;
    }

    private static void requireFields(JsonNode object, String where, Set<String> allowed) {
        if (!object.isObject()) {
            throw ApiException.badRequest(where + " must be a JSON object");
        }
        for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw ApiException.badRequest(where + " has an unknown field '" + name + "'; its fields are "
                        + String.join(", ", allowed.stream().sorted().toList()));
            }
        }
    }

    private static String key(JsonNode object, String where) {
        if (!object.path("key").isTextual()) {
            throw ApiException.badRequest(where + ".key is required: a key of 1..1024 bytes");
        }
        String key = object.get("key").asText();
        requireKey(key, where + ".key");
        return key;
    }

    private static void requireKey(String key, String where) {
        try {
            KvKeys.requireValid(key);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(where + ": " + e.getMessage());
        }
    }

    private static byte[] base64(JsonNode node, String where) {
        if (!node.isTextual()) {
            throw ApiException.badRequest(where + " must be a base64 string");
        }
        try {
            byte[] value = Base64.getDecoder().decode(node.asText());
            if (value.length > KvCommand.MAX_VALUE_BYTES) {
                throw ApiException.badRequest(where + " is " + value.length + " bytes, over " + KvCommand.MAX_VALUE_BYTES);
            }
            return value;
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(where + " is not valid base64");
        }
    }

    // ------------------------------------------------------------------ sessions

    /** {@code /v1/session} and below; {@code rest} is the path after {@code /v1/session}. */
    void session(HttpServerExchange exchange, String rest) {
        String method = exchange.getRequestMethod().toString();
        if (rest.isEmpty()) {
            requireMethod(exchange, "POST");
            create(exchange);
            return;
        }
        String id = rest.substring(1);
        boolean renew = id.endsWith("/renew");
        if (renew) {
            id = id.substring(0, id.length() - "/renew".length());
        }
        if (id.isEmpty() || id.length() > Session.MAX_ID_CHARS || id.contains("/")) {
            throw ApiException.notFound("no such endpoint: /v1/session" + rest
                    + " (sessions: POST /v1/session, GET or DELETE /v1/session/{id}, PUT /v1/session/{id}/renew)");
        }
        if (renew) {
            requireMethod(exchange, "PUT");
            renew(exchange, id);
        } else if (method.equals("GET")) {
            info(exchange, id);
        } else if (method.equals("DELETE")) {
            destroy(exchange, id);
        } else {
            throw new ApiException(405, "method_not_allowed", method + " is not allowed on a session; use GET or DELETE");
        }
    }

    private void create(HttpServerExchange exchange) {
        byte[] body = readBody(exchange, 64 << 10);
        JsonBody json = body.length == 0 ? JsonBody.parseObject("{}".getBytes(), List.of(), SESSION_SHAPE)
                : JsonBody.parseObject(body, List.of("name", "ttl", "lockDelay", "behavior"), SESSION_SHAPE);
        long ttl = json.optionalText("ttl").map(t -> millis(t, "ttl")).orElse(0L);
        if (ttl != 0 && (ttl < MIN_TTL_MILLIS || ttl > MAX_TTL_MILLIS)) {
            throw ApiException.badRequest("ttl must be between 10s and 24h (or absent: no TTL), got " + json.node("ttl").asText());
        }
        long lockDelay = json.optionalText("lockDelay").map(t -> millis(t, "lockDelay")).orElse(DEFAULT_LOCK_DELAY_MILLIS);
        if (lockDelay > MAX_LOCK_DELAY_MILLIS) {
            throw ApiException.badRequest("lockDelay is at most 60s, got " + json.node("lockDelay").asText());
        }
        String behavior = json.optionalText("behavior").orElse("release");
        Session.Behavior b = switch (behavior) {
            case "release" -> Session.Behavior.RELEASE;
            case "delete" -> Session.Behavior.DELETE;
            default -> throw ApiException.badRequest("behavior must be release or delete, got '" + behavior + "'");
        };
        String name = json.optionalText("name").orElse("");
        if (name.length() > 256) {
            throw ApiException.badRequest("name is at most 256 characters");
        }
        if (forwardIfFollower(exchange, body)) {
            return;
        }
        Session session = new Session(UUID.randomUUID().toString(), name, ctx.nodeId(), ttl, lockDelay, b, 0);
        KvResult.SessionCreated created = writes.createSession(session);
        Responses.json(exchange, 200, Map.of("id", created.id(), "index", created.index()));
    }

    private static long millis(String text, String field) {
        try {
            return ConsulHandler.duration(text, field);
        } catch (ConsulHandler.ConsulError e) {
            throw ApiException.badRequest(field + " must be a duration like 15s, 1m or 500ms, got '" + text + "'");
        }
    }

    private void renew(HttpServerExchange exchange, String id) {
        if (forwardIfFollower(exchange, null)) {
            return;
        }
        Session s = writes.renewSession(id).orElseThrow(() -> noSession(id));
        Responses.json(exchange, 200, json(s));
    }

    private void destroy(HttpServerExchange exchange, String id) {
        if (forwardIfFollower(exchange, null)) {
            return;
        }
        KvResult.SessionDestroyed done = writes.destroySession(id);
        Responses.json(exchange, 200, Map.of("index", done.index(), "destroyed", done.existed()));
    }

    private void info(HttpServerExchange exchange, String id) {
        Consistency mode = Consistency.parse(RequestParts.ofQuery(exchange.getQueryString())
                .allowOnly(Set.of("consistency")).param("consistency"));
        if (mode != Consistency.STALE) {
            ctx.await(mode == Consistency.CONSISTENT ? ctx.raft().readIndex() : ctx.raft().leaseRead(), false);
        }
        Session s = ctx.kv().state().session(id).orElseThrow(() -> noSession(id));
        exchange.getResponseHeaders().put(KvHandler.INDEX, Long.toString(ctx.raft().appliedIndex()));
        Responses.json(exchange, 200, json(s));
    }

    private static Map<String, Object> json(Session s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", s.id());
        m.put("name", s.name());
        m.put("node", s.node());
        m.put("ttl", s.ttlMillis() == 0 ? "" : s.ttlMillis() % 1000 == 0 ? s.ttlMillis() / 1000 + "s" : s.ttlMillis() + "ms");
        m.put("lockDelay", s.lockDelayMillis() % 1000 == 0 ? s.lockDelayMillis() / 1000 + "s" : s.lockDelayMillis() + "ms");
        m.put("behavior", s.behavior().wireName());
        m.put("createIndex", s.createIndex());
        return m;
    }

    private static ApiException noSession(String id) {
        return new ApiException(404, "no_such_session", "no session " + id + " (it expired or was destroyed); create one with "
                + "POST /v1/session");
    }

    // ------------------------------------------------------------------ shared

    private boolean forwardIfFollower(HttpServerExchange exchange, byte[] body) {
        if (ctx.raft().state() == RaftState.LEADER) {
            return false;
        }
        ctx.forwarder().forward(exchange, ctx.raft().leader().orElse(null),
                body == null ? null : () -> new ByteArrayInputStream(body), body == null ? 0 : body.length,
                ctx.timeout().plusSeconds(5), !exchange.getRequestMethod().toString().equals("GET"));
        return true;
    }

    private static void requireMethod(HttpServerExchange exchange, String method) {
        if (!exchange.getRequestMethod().toString().equals(method)) {
            throw new ApiException(405, "method_not_allowed", exchange.getRequestMethod() + " is not allowed here; use " + method);
        }
    }

    private static ApiException forbidden(String message) {
        return new ApiException(403, "forbidden", message);
    }

    private static byte[] readBody(HttpServerExchange exchange, long limit) {
        long declared = exchange.getRequestContentLength();
        if (declared > limit) {
            throw new ApiException(413, "body_too_large", "the body is " + declared + " bytes, over the limit of " + limit);
        }
        exchange.startBlocking();
        try (InputStream in = exchange.getInputStream()) {
            byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (body.length > limit) {
                throw new ApiException(413, "body_too_large", "the body is over the limit of " + limit + " bytes");
            }
            return body;
        } catch (IOException e) {
            throw ApiException.badRequest("the connection broke before the whole request body arrived; nothing was written");
        }
    }
}
