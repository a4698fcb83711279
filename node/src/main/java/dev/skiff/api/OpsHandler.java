package dev.skiff.api;

import dev.skiff.raft.OpenSnapshot;
import dev.skiff.raft.RaftState;
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
 * Snapshots ({@code /v1/snapshot}) and {@code /metrics}. Health is {@link HealthHandler}'s.
 */
final class OpsHandler {

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

    void metrics(HttpServerExchange exchange) {
        Responses.text(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", ctx.metrics().scrape());
    }
}
