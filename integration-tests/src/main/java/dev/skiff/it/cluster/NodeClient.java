package dev.skiff.it.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The client API of one node (API.md §2–3) over {@link java.net.http.HttpClient}. Every call
 * sends one request and returns the node's answer whatever its status; a request that gets no
 * answer (connection refused, reset, timeout) throws {@link UncheckedIOException} whose cause
 * says which ({@link java.net.ConnectException}: nothing was sent;
 * {@link java.net.http.HttpTimeoutException}: no answer in time).
 *
 * <p>Thread-safe; calls block the calling thread (virtual threads welcome).
 */
public final class NodeClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final String baseUrl;
    private final Duration timeout;
    /** The ACL token sent as {@code X-Skiff-Token} with every request, or null. */
    private final String token;

    /**
     * @param http    the shared client (HTTP/1.1, no proxy)
     * @param baseUrl {@code http://host:port}
     * @param timeout how long one request may take, answer included
     */
    public NodeClient(HttpClient http, String baseUrl, Duration timeout) {
        this(http, baseUrl, timeout, null);
    }

    private NodeClient(HttpClient http, String baseUrl, Duration timeout, String token) {
        this.http = http;
        this.baseUrl = baseUrl;
        this.timeout = timeout;
        this.token = token;
    }

    /** The same node with another request timeout. */
    public NodeClient withTimeout(Duration newTimeout) {
        return new NodeClient(http, baseUrl, newTimeout, token);
    }

    /** The same node, sending the ACL token {@code aclToken} (null: none) with every request. */
    public NodeClient withToken(String aclToken) {
        return new NodeClient(http, baseUrl, timeout, aclToken);
    }

    /** {@code http://host:port} of this node's API. */
    public String baseUrl() {
        return baseUrl;
    }

    /** {@code PUT /v1/kv/{key}}. */
    public HttpReply put(String key, String value) {
        return send("PUT", kvPath(key), value.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code PUT /v1/kv/{key}?cas=M}. */
    public HttpReply cas(String key, long expectedModifyIndex, String value) {
        return send("PUT", kvPath(key) + "?cas=" + expectedModifyIndex, value.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code GET /v1/kv/{key}} in the default consistency mode. */
    public HttpReply get(String key) {
        return send("GET", kvPath(key), null);
    }

    /** {@code GET /v1/kv/{key}?consistency=mode}. */
    public HttpReply get(String key, String consistency) {
        return send("GET", kvPath(key) + "?consistency=" + consistency, null);
    }

    /** {@code DELETE /v1/kv/{key}}. */
    public HttpReply delete(String key) {
        return send("DELETE", kvPath(key), null);
    }

    /** {@code DELETE /v1/kv/{key}?cas=M}. */
    public HttpReply casDelete(String key, long expectedModifyIndex) {
        return send("DELETE", kvPath(key) + "?cas=" + expectedModifyIndex, null);
    }

    /** {@code PUT /v1/kv/{key}?acquire={session}} with body {@code value} (API.md §8): {@code 200 true|false}. */
    public HttpReply acquire(String key, String session, String value) {
        return send("PUT", kvPath(key) + "?acquire=" + encodePath(session), value.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code PUT /v1/kv/{key}?release={session}} with body {@code value} (API.md §8): {@code 200 true|false}. */
    public HttpReply release(String key, String session, String value) {
        return send("PUT", kvPath(key) + "?release=" + encodePath(session), value.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * {@code POST /v1/session} with {@code {"name": name}} and nothing else: a session without a
     * TTL, which never expires (API.md §8); the answer is {@code 200 {"id","index"}}.
     */
    public HttpReply createSession(String name) {
        ObjectNode body = JSON.createObjectNode().put("name", name);
        return send("POST", "/v1/session", body.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * {@code POST /v1/txn} with {@code request} ({@code {"compare":[…],"success":[…],"failure":[…]}},
     * API.md §8); the answer is {@code 200 {"succeeded","index","results"}}.
     */
    public HttpReply txn(JsonNode request) {
        return send("POST", "/v1/txn", request.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** {@code GET /v1/status} as JSON; throws if the answer is not 200. */
    public JsonNode status() {
        HttpReply r = send("GET", "/v1/status", null);
        if (r.status() != 200) {
            throw new IllegalStateException(baseUrl + "/v1/status answered " + r);
        }
        return r.json();
    }

    /** The ids of the voters in this node's latest configuration ({@code /v1/status}). */
    public java.util.List<String> voterIds() {
        java.util.List<String> ids = new java.util.ArrayList<>();
        for (JsonNode m : status().path("latest_configuration")) {
            if ("voter".equals(m.path("suffrage").asText())) {
                ids.add(m.path("id").asText());
            }
        }
        return ids;
    }

    /**
     * Sends {@code method pathAndQuery} with {@code body} (null for none). The path must
     * already be percent-encoded.
     */
    public HttpReply send(String method, String pathAndQuery, byte[] body) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl + pathAndQuery))
                .timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) {
            builder.header("X-Skiff-Token", token);
        }
        HttpRequest request = builder.build();
        try {
            HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            return new HttpReply(response.statusCode(), response.headers(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + baseUrl + pathAndQuery + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new InterruptedIOException("interrupted: " + method + " " + pathAndQuery));
        }
    }

    /** {@code /v1/kv/} followed by {@code key}, percent-encoded as UTF-8 ({@code /} kept). */
    public static String kvPath(String key) {
        return "/v1/kv/" + encodePath(key);
    }

    /** Percent-encodes everything but RFC 3986 unreserved characters and {@code /}. */
    public static String encodePath(String text) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        return out.toString();
    }
}
