package dev.skiff.api;

import dev.skiff.kv.KvCommand;
import dev.skiff.kv.KvCommandCodec;
import dev.skiff.kv.KvEntry;
import dev.skiff.kv.KvKeys;
import dev.skiff.kv.KvPage;
import dev.skiff.kv.KvResult;
import dev.skiff.kv.KvState;
import dev.skiff.kv.KvStateMachine;
import dev.skiff.kv.TxnOp;
import dev.skiff.raft.ApplyResult;
import dev.skiff.raft.RaftState;
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
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * {@code /v1/kv/...}: put (with CAS), get in the three consistency modes, delete (with CAS),
 * and prefix listing with paging (API.md §2); key metadata, flags, lock acquire / release,
 * recursive delete and blocking reads (§8). Runs on a virtual worker thread; a blocking read
 * parks in {@link BlockingWaiters} holding no thread, and is served again from the start when
 * it wakes.
 */
final class KvHandler {

    static final HttpString MODIFY_INDEX = new HttpString("X-Skiff-Modify-Index");
    static final HttpString INDEX = new HttpString("X-Skiff-Index");
    static final HttpString LEADER = new HttpString("X-Skiff-Leader");
    private static final int DEFAULT_LIST_LIMIT = 1000;
    // The query parameters each request may carry (built once: they are checked on every request).
    private static final Set<String> GET_PARAMS = Set.of("consistency", "meta", "index", "wait");
    private static final Set<String> PUT_PARAMS = Set.of("cas", "flags", "acquire", "release");
    private static final Set<String> CAS_PARAMS = Set.of("cas");
    private static final Set<String> LIST_PARAMS = Set.of("prefix", "limit", "after", "consistency", "index", "wait");
    private static final Set<String> DELETE_PREFIX_PARAMS = Set.of("prefix");
    private static final int MAX_LIST_LIMIT = 10_000;
    private static final long DEFAULT_WAIT_MILLIS = 5 * 60_000;
    private static final long MAX_WAIT_MILLIS = 10 * 60_000;
    private static final io.undertow.util.AttachmentKey<Boolean> RESUMED = io.undertow.util.AttachmentKey.create(Boolean.class);
    /** The read barrier {@link NonBlockingGet} ran before the request reached this handler. */
    static final io.undertow.util.AttachmentKey<PassedBarrier> BARRIER = io.undertow.util.AttachmentKey.create(PassedBarrier.class);

    /**
     * A read barrier that already ran for a request.
     *
     * @param mode    the consistency it was run for
     * @param failure why it failed, or null if it passed
     */
    record PassedBarrier(Consistency mode, Throwable failure) {
    }

    private final ApiContext ctx;
    private final CoordinationWrites coordination;
    private final BlockingWaiters waiters;
    private final Executor workers;
    private Consumer<HttpServerExchange> resumer = e -> { };

    KvHandler(ApiContext ctx, CoordinationWrites coordination, BlockingWaiters waiters, Executor workers) {
        this.ctx = ctx;
        this.coordination = coordination;
        this.waiters = waiters;
        this.workers = workers;
    }

    /** What serves a parked blocking read again once it wakes (on a worker thread). */
    void onResume(Consumer<HttpServerExchange> resumer) {
        this.resumer = resumer;
    }

    /** Serves one request; returns true if it parked (a blocking read): the caller then leaves the exchange open. */
    boolean handle(HttpServerExchange exchange, String rawKey) {
        String method = exchange.getRequestMethod().toString();
        String key = RequestParts.decodePath(rawKey);
        RequestParts query = RequestParts.ofQuery(exchange.getQueryString());
        if (key.isEmpty()) {
            if (method.equals("DELETE") && query.param("prefix") != null) {
                deletePrefix(exchange, query.allowOnly(DELETE_PREFIX_PARAMS));
                return false;
            }
            if (method.equals("PUT") || method.equals("DELETE")) {
                throw ApiException.badRequest("the key must not be empty: " + method + " /v1/kv/{key} with a key of 1..1024 bytes"
                        + (method.equals("DELETE") ? " (a recursive delete is DELETE /v1/kv/?prefix=P)" : ""));
            }
            if (!method.equals("GET")) {
                throw new ApiException(405, "method_not_allowed", "only GET (listing) and DELETE ?prefix= (recursive "
                        + "delete) are allowed on /v1/kv/");
            }
            return list(exchange, query.allowOnly(LIST_PARAMS));
        }
        requireValidKey(key);
        switch (method) {
            case "GET" -> {
                return get(exchange, key, query.allowOnly(GET_PARAMS));
            }
            case "PUT" -> put(exchange, key, query.allowOnly(PUT_PARAMS));
            case "DELETE" -> delete(exchange, key, query.allowOnly(CAS_PARAMS));
            default -> throw new ApiException(405, "method_not_allowed", method + " is not allowed on a key; use GET, PUT or DELETE");
        }
        return false;
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
        if (query.param("flags") == null && query.param("acquire") == null && query.param("release") == null) {
            write(exchange, new KvCommand.Put(key, value, cas));
            return;
        }
        coordinatedPut(exchange, key, value, query);
    }

    /** A put with {@code flags}, or a lock {@code acquire} / {@code release} (API.md §8): a one-operation transaction. */
    private void coordinatedPut(HttpServerExchange exchange, String key, byte[] value, RequestParts query) {
        long flags = flags(query.param("flags"));
        String acquire = query.param("acquire");
        String release = query.param("release");
        if (acquire != null && release != null || (acquire != null || release != null) && query.param("cas") != null) {
            throw ApiException.badRequest("give one of acquire=SESSION, release=SESSION and cas=N, not several");
        }
        String session = acquire != null ? acquire : release;
        if (session != null && (session.isEmpty() || session.length() > dev.skiff.kv.Session.MAX_ID_CHARS)) {
            throw ApiException.badRequest("acquire and release take a session id (1.." + dev.skiff.kv.Session.MAX_ID_CHARS
                    + " characters) from POST /v1/session");
        }
        long cas = query.longParam("cas", -1);
        TxnOp op = acquire != null ? new TxnOp(TxnOp.Verb.LOCK, key, value, flags, 0, acquire)
                : release != null ? new TxnOp(TxnOp.Verb.UNLOCK, key, value, flags, 0, release)
                : cas >= 0 ? new TxnOp(TxnOp.Verb.CAS, key, value, flags, cas, "")
                : new TxnOp(TxnOp.Verb.SET, key, value, flags, 0, "");
        if (CoordinationWrites.needsLeaderClock(List.of(op)) && ctx.raft().state() != RaftState.LEADER) {
            ctx.forwarder().forward(exchange, ctx.raft().leader().orElse(null), () -> new ByteArrayInputStream(value), true);
            return;
        }
        KvResult.TxnDone done = coordination.txn(List.of(op));
        leaderHeader(exchange);
        if (session != null) {
            if (!done.applied() && done.error().equals(KvStateMachine.noSuchSession(session))) {
                throw new ApiException(404, "no_such_session", "session " + session
                        + " does not exist (expired or destroyed); create one with POST /v1/session");
            }
            exchange.getResponseHeaders().put(INDEX, Long.toString(done.index()));
            Responses.json(exchange, 200, done.applied());
            return;
        }
        if (!done.applied()) {
            long current = ctx.kv().state().get(key).map(KvEntry::modifyIndex).orElse(0L);
            throw new ApiException(412, "cas_mismatch", "compare-and-set failed: " + done.error(),
                    Map.of("modifyIndex", current));
        }
        Responses.index(exchange, done.index());
    }

    private static long flags(String flags) {
        if (flags == null) {
            return 0;
        }
        try {
            return Long.parseUnsignedLong(flags);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("flags must be an unsigned 64-bit integer, got '" + flags + "'");
        }
    }

    /** {@code DELETE /v1/kv/?prefix=P}: every key under P, in one Raft entry (API.md §8). */
    private void deletePrefix(HttpServerExchange exchange, RequestParts query) {
        String prefix = query.param("prefix");
        if (!prefix.isEmpty()) {
            requireValidKey(prefix);
        }
        if (!AclGuard.rules(exchange).mayWritePrefix(prefix)) {
            throw new ApiException(403, "forbidden", "this token may not write every key under the prefix \"" + prefix
                    + "\" (a recursive delete needs write on the whole prefix)");
        }
        KvResult.TxnDone done = coordination.txn(List.of(TxnOp.of(TxnOp.Verb.DELETE_TREE, prefix)));
        leaderHeader(exchange);
        Responses.json(exchange, 200, Map.of("index", done.index(), "deleted", done.results().get(0).deleted()));
    }

    private void delete(HttpServerExchange exchange, String key, RequestParts query) {
        write(exchange, new KvCommand.Delete(key, cas(query)));
    }

    private static OptionalLong cas(RequestParts query) {
        long cas = query.longParam("cas", -1);
        return cas < 0 ? OptionalLong.empty() : OptionalLong.of(cas);
    }

    /**
     * Proposes a key write on this node, whatever its role: a follower's Raft forwards it to the
     * leader over the raft transport and completes it when this node has applied it.
     */
    private void write(HttpServerExchange exchange, KvCommand command) {
        long started = System.nanoTime();
        ApplyResult applied = ctx.await(ctx.raft().apply(KvCommandCodec.encode(command), ctx.timeout()), true);
        ctx.metrics().apply(System.nanoTime() - started);
        respondWritten(exchange, applied);
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
        return new KvCommand.Put(key, value, cas(RequestParts.ofQuery(exchange.getQueryString()).allowOnly(CAS_PARAMS)));
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

    /**
     * Runs the read barrier for {@code mode} on this node, whatever its role: on a follower, Raft
     * asks the leader for the read index and waits until this node has applied it.
     */
    private static void readBarrier(HttpServerExchange exchange, ApiContext ctx, Consistency mode) {
        PassedBarrier ran = exchange.getAttachment(BARRIER);
        if (ran != null && ran.mode() == mode) {
            if (ran.failure() != null) {
                Throwable cause = ran.failure() instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                        ? c.getCause() : ran.failure();
                throw cause instanceof java.util.concurrent.TimeoutException
                        ? ApiException.unavailable("timed out waiting for the cluster")
                        : ApiContext.translate(cause, false);
            }
            return;
        }
        if (mode != Consistency.STALE) {
            ctx.await(mode == Consistency.CONSISTENT ? ctx.raft().readIndex() : ctx.raft().leaseRead(), false);
        }
    }

    /**
     * Parks a blocking read ({@code index=N}, API.md §8) until the watched index passes N or
     * its wait (default 5m, at most 10m, plus up to 1/16 jitter as in Consul) runs out; returns
     * true if parked. It answers at once when the index already passed N, and when N is ahead of
     * this node's applied index (the client saw a later state, or a restore moved the index
     * back). A forwarded read never parks: the node it came through waited already.
     */
    private boolean park(HttpServerExchange exchange, RequestParts query, ToLongFunction<KvState> watched) {
        String waitParam = query.param("wait");
        if (query.param("index") == null) {
            if (waitParam != null) {
                throw ApiException.badRequest("wait is for blocking reads: give index=N too (the X-Skiff-Index of the last answer)");
            }
            return false;
        }
        long seen = query.longParam("index", 0);
        long wait = waitParam == null ? DEFAULT_WAIT_MILLIS : waitMillis(waitParam);
        if (exchange.getAttachment(RESUMED) != null || Forwarder.wasForwarded(exchange) || seen == 0
                || seen > ctx.raft().appliedIndex()) {
            return false;
        }
        wait += ThreadLocalRandom.current().nextLong(wait / 16 + 1);
        return waiters.park(exchange.getIoThread(), ctx.kv()::state, s -> watched.applyAsLong(s) > seen, wait, () -> workers.execute(() -> {
            exchange.putAttachment(RESUMED, Boolean.TRUE);
            resumer.accept(exchange);
        }));
    }

    private static long waitMillis(String wait) {
        long millis;
        try {
            millis = ConsulHandler.duration(wait, "wait");
        } catch (ConsulHandler.ConsulError e) {
            throw ApiException.badRequest("wait must be a duration like 30s, 5m or 500ms, got '" + wait + "'");
        }
        if (millis > MAX_WAIT_MILLIS) {
            throw ApiException.badRequest("wait is at most 10m, got '" + wait + "'");
        }
        return millis;
    }

    private boolean get(HttpServerExchange exchange, String key, RequestParts query) {
        Consistency mode = Consistency.parse(query.param("consistency"));
        boolean meta = metaParam(query);
        if (park(exchange, query, s -> s.get(key).map(KvEntry::modifyIndex).orElse(s.kvIndex()))) {
            return true;
        }
        readBarrier(exchange, ctx, mode);
        KvState state = ctx.kv().state();
        long index = ctx.raft().appliedIndex();
        exchange.getResponseHeaders().put(INDEX, Long.toString(index));
        leaderHeader(exchange);
        Optional<KvEntry> entry = state.get(key);
        if (entry.isEmpty()) {
            throw ApiException.notFound("no such key: " + key);
        }
        if (meta) {
            exchange.getResponseHeaders().put(MODIFY_INDEX, Long.toString(entry.get().modifyIndex()));
            Responses.json(exchange, 200, metaJson(entry.get()));
            return false;
        }
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(MODIFY_INDEX, Long.toString(entry.get().modifyIndex()));
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/octet-stream");
        exchange.getResponseSender().send(ByteBuffer.wrap(entry.get().value()));
        return false;
    }

    private static boolean metaParam(RequestParts query) {
        String meta = query.param("meta");
        if (meta == null || meta.equals("false")) {
            return false;
        }
        if (!meta.equals("true") && !meta.isEmpty()) {
            throw ApiException.badRequest("meta must be true or false, got '" + meta + "'");
        }
        return true;
    }

    /** A key with all its metadata (API.md §8), the value in base64. */
    static Map<String, Object> metaJson(KvEntry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", e.key());
        m.put("value", Base64.getEncoder().encodeToString(e.value()));
        m.put("createIndex", e.createIndex());
        m.put("modifyIndex", e.modifyIndex());
        m.put("lockIndex", e.lockIndex());
        m.put("flags", e.flags() >= 0 ? (Object) e.flags() : new java.math.BigInteger(Long.toUnsignedString(e.flags())));
        m.put("session", e.session());
        return m;
    }

    private boolean list(HttpServerExchange exchange, RequestParts query) {
        Consistency mode = Consistency.parse(query.param("consistency"));
        String prefix = query.param("prefix") == null ? "" : query.param("prefix");
        String after = query.param("after") == null ? "" : query.param("after");
        long limit = query.longParam("limit", DEFAULT_LIST_LIMIT);
        if (limit < 1 || limit > MAX_LIST_LIMIT) {
            throw ApiException.badRequest("limit must be between 1 and " + MAX_LIST_LIMIT + ", got " + limit);
        }
        if (park(exchange, query, s -> s.kvIndex())) {
            return true;
        }
        readBarrier(exchange, ctx, mode);
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
        return false;
    }

    private void leaderHeader(HttpServerExchange exchange) {
        ctx.raft().leader().ifPresent(l -> exchange.getResponseHeaders().put(LEADER, l.id()));
    }

}
