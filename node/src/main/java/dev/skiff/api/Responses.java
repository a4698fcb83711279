package dev.skiff.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writing JSON and error responses. Stateless. */
final class Responses {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpString RETRY_AFTER = new HttpString("Retry-After");

    private Responses() {
    }

    static void json(HttpServerExchange exchange, int status, Object body) {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode response", e);
        }
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        exchange.getResponseSender().send(ByteBuffer.wrap(bytes));
    }

    /**
     * {@code 200 {"index":N}}, the answer to every successful put: written by hand, since it is
     * the hottest response and Jackson costs more than the rest of it.
     */
    static void index(HttpServerExchange exchange, long index) {
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        exchange.getResponseSender().send(ByteBuffer.wrap(("{\"index\":" + index + "}").getBytes(StandardCharsets.US_ASCII)));
    }

    static void error(HttpServerExchange exchange, ApiException e) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", e.getMessage());
        body.put("code", e.code);
        if (e.extra != null) {
            body.putAll(e.extra);
        }
        if (e.status == 503) {
            exchange.getResponseHeaders().put(RETRY_AFTER, "1");
        }
        json(exchange, e.status, body);
    }

    static void text(HttpServerExchange exchange, int status, String contentType, String body) {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, contentType);
        exchange.getResponseSender().send(body, StandardCharsets.UTF_8);
    }
}
