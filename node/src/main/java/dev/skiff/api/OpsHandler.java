package dev.skiff.api;

import dev.skiff.raft.OpenSnapshot;
import dev.skiff.raft.RaftState;
import dev.skiff.raft.RaftStats;
import dev.skiff.raft.SnapshotHandle;
import dev.skiff.raft.SnapshotMeta;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Snapshots ({@code /v1/snapshot}), health ({@code /healthz}, {@code /readyz}) and
 * {@code /metrics}.
 */
final class OpsHandler {

    /** /readyz allows a follower to trail the commit index by this many entries. */
    static final long READY_MAX_LAG = 1000;

    private final ApiContext ctx;
    private final SnapshotUpload upload;

    /** @param uploadDir where {@code PUT /v1/snapshot} spools bodies while it checks them */
    OpsHandler(ApiContext ctx, Path uploadDir) {
        this.ctx = ctx;
        this.upload = new SnapshotUpload(ctx, uploadDir);
    }

    void snapshot(HttpServerExchange exchange) {
        String method = exchange.getRequestMethod().toString();
        RequestParts.ofQuery(exchange.getQueryString()).allowOnly(Set.of());
        switch (method) {
            case "POST" -> {
                SnapshotHandle h = ctx.await(ctx.raft().snapshot(), false);
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("index", h.meta().index());
                body.put("term", h.meta().term());
                body.put("id", h.meta().id());
                body.put("location", h.meta().id());
                body.put("size", h.meta().size());
                Responses.json(exchange, 200, body);
            }
            case "GET" -> download(exchange);
            case "PUT" -> upload.restore(exchange);
            default -> throw new ApiException(405, "method_not_allowed", method + " is not allowed on /v1/snapshot; use GET, POST or PUT");
        }
    }

    private void download(HttpServerExchange exchange) {
        SnapshotMeta meta;
        try {
            List<SnapshotMeta> all = ctx.snapshots().list();
            meta = all.isEmpty() ? ctx.await(ctx.raft().snapshot(), false).meta() : all.get(0);
        } catch (IOException e) {
            throw new ApiException(500, "internal", "cannot list snapshots: " + e.getMessage());
        }
        try (OpenSnapshot open = ctx.snapshots().open(meta.id())) {
            exchange.setStatusCode(200);
            exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/octet-stream");
            exchange.getResponseHeaders().put(new HttpString("X-Skiff-Snapshot-Index"), Long.toString(meta.index()));
            exchange.getResponseHeaders().put(new HttpString("X-Skiff-Snapshot-Term"), Long.toString(meta.term()));
            exchange.getResponseHeaders().put(Headers.CONTENT_DISPOSITION,
                    "attachment; filename=\"skiff-snapshot-" + meta.term() + "-" + meta.index() + ".snap\"");
            if (meta.size() >= 0) {
                exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, Long.toString(meta.size()));
            }
            exchange.startBlocking();
            try (OutputStream out = exchange.getOutputStream()) {
                open.data().transferTo(out);
            }
        } catch (IOException e) {
            throw new ApiException(500, "internal", "cannot read snapshot " + meta.id() + ": " + e.getMessage());
        }
    }

    void healthz(HttpServerExchange exchange) {
        Responses.json(exchange, 200, Map.of("status", "ok", "id", ctx.nodeId()));
    }

    void readyz(HttpServerExchange exchange) {
        RaftStats s = ctx.raft().stats();
        String reason = null;
        if (s.leader().isEmpty()) {
            reason = "no leader is known";
        } else if (s.commitIndex() - s.appliedIndex() > READY_MAX_LAG) {
            reason = "applied index " + s.appliedIndex() + " trails the commit index " + s.commitIndex();
        } else if (s.state() == RaftState.SHUTDOWN) {
            reason = "shutting down";
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ready", reason == null);
        body.put("state", s.state().name().toLowerCase());
        body.put("leader", s.leader().map(l -> l.id()).orElse(null));
        body.put("commit_index", s.commitIndex());
        body.put("applied_index", s.appliedIndex());
        if (reason != null) {
            body.put("reason", reason);
            exchange.getResponseHeaders().put(Responses.RETRY_AFTER, "1");
        }
        Responses.json(exchange, reason == null ? 200 : 503, body);
    }

    void metrics(HttpServerExchange exchange) {
        Responses.text(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", ctx.metrics().scrape());
    }
}
