package dev.skiff.api;

import dev.skiff.kv.KvCommand;
import dev.skiff.kv.KvCommandCodec;
import dev.skiff.kv.KvEntry;
import dev.skiff.kv.KvKeys;
import dev.skiff.kv.KvPage;
import dev.skiff.kv.KvResult;
import dev.skiff.kv.KvState;
import dev.skiff.raft.ApplyResult;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * {@code /v1/kv/...}: put (with CAS), get in the three consistency modes, delete (with CAS),
 * and prefix listing with paging (API.md §2). Runs on a virtual worker thread.
 */
final class KvHandler {

    static final HttpString MODIFY_INDEX = new HttpString("X-Skiff-Modify-Index");
    static final HttpString INDEX = new HttpString("X-Skiff-Index");
    static final HttpString LEADER = new HttpString("X-Skiff-Leader");
    private static final int DEFAULT_LIST_LIMIT = 1000;
    private static final int MAX_LIST_LIMIT = 10_000;

    private final ApiContext ctx;

    KvHandler(ApiContext ctx) {
        this.ctx = ctx;
    }

    void handle(HttpServerExchange exchange, String rawKey) {
        String method = exchange.getRequestMethod().toString();
        String key = RequestParts.decodePath(rawKey);
        RequestParts query = RequestParts.ofQuery(exchange.getQueryString());
        if (key.isEmpty()) {
            if (method.equals("PUT") || method.equals("DELETE")) {
                throw ApiException.badRequest("the key must not be empty: " + method + " /v1/kv/{key} with a key of 1..1024 bytes");
            }
            if (!method.equals("GET")) {
                throw new ApiException(405, "method_not_allowed", "only GET is allowed on /v1/kv/ (listing)");
            }
            list(exchange, query.allowOnly(Set.of("prefix", "limit", "after", "consistency")));
            return;
        }
        requireValidKey(key);
        switch (method) {
            case "GET" -> get(exchange, key, query.allowOnly(Set.of("consistency")));
            case "PUT" -> put(exchange, key, query.allowOnly(Set.of("cas")));
            case "DELETE" -> delete(exchange, key, query.allowOnly(Set.of("cas")));
            default -> throw new ApiException(405, "method_not_allowed", method + " is not allowed on a key; use GET, PUT or DELETE");
        }
    }

    private static void requireValidKey(String key) {
        try {
            KvKeys.requireValid(key);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    // ---------------------------------------------------------------- writes

    private void put(HttpServerExchange exchange, String key, RequestParts query) {
        OptionalLong cas = cas(query);
        byte[] value = readBody(exchange);
        write(exchange, new KvCommand.Put(key, value, cas), value);
    }

    private void delete(HttpServerExchange exchange, String key, RequestParts query) {
        write(exchange, new KvCommand.Delete(key, cas(query)), null);
    }

    private static OptionalLong cas(RequestParts query) {
        long cas = query.longParam("cas", -1);
        return cas < 0 ? OptionalLong.empty() : OptionalLong.of(cas);
    }

    private void write(HttpServerExchange exchange, KvCommand command, byte[] body) {
        if (ctx.raft().state() != RaftState.LEADER) {
            ctx.forwarder().forward(exchange, ctx.raft().leader().orElse(null),
                    body == null ? null : () -> new ByteArrayInputStream(body), true);
            return;
        }
        long started = System.nanoTime();
        ApplyResult applied;
        try {
            applied = ctx.await(ctx.raft().apply(KvCommandCodec.encode(command), ctx.timeout()), true);
        } catch (ApiException e) {
            writeFailed(exchange, e, body);
            return;
        }
        ctx.metrics().apply(System.nanoTime() - started);
        respondWritten(exchange, applied);
    }

    /**
     * A write the cluster did not apply: forwards it if leadership moved before the entry was
     * appended (nothing was applied, so the new leader can take it), else throws {@code e}.
     * Blocks while forwarding: call on a worker thread.
     */
    void writeFailed(HttpServerExchange exchange, ApiException e, byte[] body) {
        if (wouldForward(exchange, e)) {
            ctx.forwarder().forward(exchange, ctx.raft().leader().get(),
                    body == null ? null : () -> new ByteArrayInputStream(body), true);
            return;
        }
        throw e;
    }

    /** True if {@link #writeFailed} would forward rather than throw. */
    boolean wouldForward(HttpServerExchange exchange, ApiException e) {
        return e.status == 503 && ctx.raft().state() != RaftState.LEADER && ctx.raft().leader().isPresent()
                && !Forwarder.wasForwarded(exchange);
    }

    /** Answers an applied write; throws ApiException for a failed compare-and-set or a rejection. Never blocks. */
    void respondWritten(HttpServerExchange exchange, ApplyResult applied) {
        leaderHeader(exchange);
        switch ((KvResult) applied.response()) {
            case KvResult.Written w -> Responses.index(exchange, w.index());
            case KvResult.Deleted d -> Responses.json(exchange, 200, Map.of("index", d.index(), "deleted", d.existed()));
            case KvResult.CasFailed f -> throw new ApiException(412, "cas_mismatch",
                    "compare-and-set failed: the key's modifyIndex is " + f.currentModifyIndex(),
                    Map.of("modifyIndex", f.currentModifyIndex()));
            case KvResult.Rejected r -> throw new ApiException(500, "internal", "the state machine rejected the command: " + r.reason());
            default -> throw new ApiException(500, "internal", "unexpected result of a key write: " + applied.response());
        }
    }

    /**
     * The command of a {@code PUT /v1/kv/{rawKey}} with {@code value}, if the request is valid
     * in every part but its body's size (which the caller checks); throws ApiException otherwise.
     */
    KvCommand.Put putCommand(HttpServerExchange exchange, String rawKey, byte[] value) {
        String key = RequestParts.decodePath(rawKey);
        if (key.isEmpty()) {
            throw ApiException.badRequest("the key must not be empty: PUT /v1/kv/{key} with a key of 1..1024 bytes");
        }
        requireValidKey(key);
        return new KvCommand.Put(key, value, cas(RequestParts.ofQuery(exchange.getQueryString()).allowOnly(Set.of("cas"))));
    }

    private byte[] readBody(HttpServerExchange exchange) {
        long declared = exchange.getRequestContentLength();
        if (declared > ctx.maxValueBytes()) {
            throw tooLarge(declared);
        }
        exchange.startBlocking();
        try (InputStream in = exchange.getInputStream()) {
            byte[] value = in.readNBytes(ctx.maxValueBytes() + 1);
            if (value.length > ctx.maxValueBytes()) {
                throw tooLarge(-1);
            }
            return value;
        } catch (IOException e) {
            // Undertow's own text (UT0000xx ...) says nothing a client can act on.
            throw ApiException.badRequest("could not read the request body: the connection broke off, or the body was "
                    + "shorter than its Content-Length; nothing was written");
        }
    }

    ApiException tooLarge(long declared) {
        return new ApiException(413, "value_too_large", "the value is "
                + (declared >= 0 ? declared + " bytes, " : "") + "over the limit of " + ctx.maxValueBytes() + " bytes (--max-value-bytes)");
    }

    // ---------------------------------------------------------------- reads

    /** Runs the read barrier for {@code mode}, or forwards; returns false if forwarded. */
    private boolean readBarrier(HttpServerExchange exchange, Consistency mode) {
        if (mode == Consistency.STALE) {
            return true;
        }
        if (ctx.raft().state() != RaftState.LEADER) {
            ctx.forwarder().forward(exchange, ctx.raft().leader().orElse(null), null, false);
            return false;
        }
        try {
            ctx.await(mode == Consistency.CONSISTENT ? ctx.raft().readIndex() : ctx.raft().leaseRead(), false);
            return true;
        } catch (ApiException e) {
            Optional<Server> leader = ctx.raft().leader();
            if (e.status == 503 && leader.isPresent() && !leader.get().id().equals(ctx.nodeId())
                    && !Forwarder.wasForwarded(exchange)) {
                ctx.forwarder().forward(exchange, leader.get(), null, false);
                return false;
            }
            throw e;
        }
    }

    private void get(HttpServerExchange exchange, String key, RequestParts query) {
        Consistency mode = Consistency.parse(query.param("consistency"));
        if (!readBarrier(exchange, mode)) {
            return;
        }
        KvState state = ctx.kv().state();
        long index = ctx.raft().appliedIndex();
        exchange.getResponseHeaders().put(INDEX, Long.toString(index));
        leaderHeader(exchange);
        Optional<KvEntry> entry = state.get(key);
        if (entry.isEmpty()) {
            throw ApiException.notFound("no such key: " + key);
        }
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(MODIFY_INDEX, Long.toString(entry.get().modifyIndex()));
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/octet-stream");
        exchange.getResponseSender().send(ByteBuffer.wrap(entry.get().value()));
    }

    private void list(HttpServerExchange exchange, RequestParts query) {
        Consistency mode = Consistency.parse(query.param("consistency"));
        String prefix = query.param("prefix") == null ? "" : query.param("prefix");
        String after = query.param("after") == null ? "" : query.param("after");
        long limit = query.longParam("limit", DEFAULT_LIST_LIMIT);
        if (limit < 1 || limit > MAX_LIST_LIMIT) {
            throw ApiException.badRequest("limit must be between 1 and " + MAX_LIST_LIMIT + ", got " + limit);
        }
        if (!readBarrier(exchange, mode)) {
            return;
        }
        dev.skiff.acl.AclRules rules = AclGuard.rules(exchange);
        KvPage page = ctx.kv().state().list(prefix, after, (int) limit, rules::mayRead);
        List<Map<String, Object>> items = new ArrayList<>(page.items().size());
        Base64.Encoder b64 = Base64.getEncoder();
        for (KvEntry e : page.items()) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("key", e.key());
            item.put("value", b64.encodeToString(e.value()));
            item.put("modifyIndex", e.modifyIndex());
            item.put("createIndex", e.createIndex());
            items.add(item);
        }
        exchange.getResponseHeaders().put(INDEX, Long.toString(ctx.raft().appliedIndex()));
        leaderHeader(exchange);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("items", items);
        body.put("more", page.more());
        Responses.json(exchange, 200, body);
    }

    private void leaderHeader(HttpServerExchange exchange) {
        ctx.raft().leader().ifPresent(l -> exchange.getResponseHeaders().put(LEADER, l.id()));
    }

}
