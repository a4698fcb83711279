package dev.skiff.api;

import dev.skiff.raft.Server;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.HttpString;
import org.xnio.IoUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays a request from a follower to the leader's api address and copies the leader's answer
 * back verbatim (status, body, Skiff headers), so that any node behind a load balancer serves
 * every request. A request is forwarded at most once: the leader refuses to forward it again
 * (503), which breaks loops while leadership moves.
 *
 * <p>Runs on request worker threads (virtual), which may block.
 */
final class Forwarder {

    /** Marks a request that a follower forwarded; its value is the forwarding node's id. */
    static final String HEADER = "X-Skiff-Forwarded-By";
    private static final HttpString FORWARDED = new HttpString(HEADER);
    private static final Logger log = LoggerFactory.getLogger(Forwarder.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    private final HttpClient client;
    private final PeerApi peers;
    private final String selfId;
    private final ApiMetrics metrics;

    Forwarder(String selfId, ApiMetrics metrics, PeerApi peers) {
        this.selfId = selfId;
        this.metrics = metrics;
        this.peers = peers;
        this.client = peers.client(Duration.ofSeconds(2)).build();
    }

    /** How this node reaches other nodes' APIs (also used by the probes that ask the leader). */
    PeerApi peers() {
        return peers;
    }

    static boolean wasForwarded(HttpServerExchange exchange) {
        return exchange.getRequestHeaders().contains(FORWARDED);
    }

    /**
     * Forwards the request to {@code leader}.
     *
     * @param body  the request body to send, or null for none
     * @param write whether the request changes state: then a leader that may have received it
     *              but did not answer makes the outcome unknown (504) rather than unavailable
     */
    void forward(HttpServerExchange exchange, Server leader, Supplier<InputStream> body, boolean write) {
        forward(exchange, leader, body, -1, TIMEOUT, write);
    }

    /**
     * Forwards the request to {@code leader} with a body of known length (sent with its
     * {@code Content-Length}, which the leader may require), waiting up to {@code timeout} for
     * the answer.
     *
     * @param length the body's length (0 sends none), or -1 to send it chunked
     * @see #forward(HttpServerExchange, Server, Supplier, boolean)
     */
    void forward(HttpServerExchange exchange, Server leader, Supplier<InputStream> body, long length, Duration timeout,
                 boolean write) {
        forward(exchange, leader, "", body, length, timeout, write);
    }

    /**
     * Forwards the request to {@code leader}'s api port at {@code pathPrefix} + its path (the
     * Consul listener's requests go to {@code /consul/...} there).
     *
     * @see #forward(HttpServerExchange, Server, Supplier, long, Duration, boolean)
     */
    void forward(HttpServerExchange exchange, Server leader, String pathPrefix, Supplier<InputStream> body, long length,
                 Duration timeout, boolean write) {
        if (wasForwarded(exchange)) {
            throw ApiException.unavailable("leadership is moving: the node this request was forwarded to is no longer the leader");
        }
        if (leader == null || leader.apiAddress().isEmpty()) {
            throw ApiException.unavailable("no leader is known; retry shortly");
        }
        String query = exchange.getQueryString();
        URI uri = peers.uri(leader.apiAddress(), pathPrefix + exchange.getRequestURI()
                + (query == null || query.isEmpty() ? "" : "?" + query));
        HttpRequest.BodyPublisher publisher = body == null || length == 0
                ? HttpRequest.BodyPublishers.noBody()
                : length < 0
                ? HttpRequest.BodyPublishers.ofInputStream(body)
                : HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(body), length);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout)
                .method(exchange.getRequestMethod().toString(), publisher)
                .header(HEADER, selfId);
        // The leader checks the token again against its own table (API.md §7).
        AclGuard.presentedToken(exchange).filter(token -> dev.skiff.acl.TokenSecrets.problem(token) == null)
                .ifPresent(token -> request.header(AclGuard.TOKEN_HEADER, token));
        HeaderValues consulToken = exchange.getRequestHeaders().get(ConsulAcl.TOKEN_HEADER);
        if (consulToken != null && !consulToken.isEmpty()
                && dev.skiff.acl.TokenSecrets.problem(consulToken.getFirst().trim()) == null) {
            request.header(ConsulAcl.TOKEN_HEADER, consulToken.getFirst().trim());
        }
        HeaderValues contentType = exchange.getRequestHeaders().get("Content-Type");
        if (contentType != null) {
            request.header("Content-Type", contentType.getFirst());
        }
        metrics.forwarded(exchange.getRequestMethod().toString());
        HttpResponse<InputStream> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (ConnectException e) {
            throw ApiException.unavailable("the leader " + leader.id() + " at " + leader.apiAddress() + " is unreachable: " + e);
        } catch (HttpTimeoutException e) {
            throw write ? ApiException.outcomeUnknown("the leader " + leader.id() + " did not answer in time; the write may or may not be applied")
                    : ApiException.unavailable("the leader " + leader.id() + " did not answer in time");
        } catch (IOException e) {
            throw write ? ApiException.outcomeUnknown("lost the connection to the leader " + leader.id() + ": " + e.getMessage()
                    + "; the write may or may not be applied")
                    : ApiException.unavailable("lost the connection to the leader " + leader.id() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.unavailable("interrupted while forwarding");
        }
        exchange.setStatusCode(response.statusCode());
        response.headers().map().forEach((name, values) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.startsWith("x-skiff-") || lower.startsWith("x-consul-") || lower.equals("content-type") || lower.equals("retry-after")) {
                exchange.getResponseHeaders().putAll(new HttpString(name), values);
            }
        });
        relay(exchange, response.body(), leader, write);
    }

    /**
     * Copies the leader's body to the client. If the leader's answer breaks off, the client must
     * not take what arrived for the whole answer: before anything was sent it gets the error the
     * request's kind calls for (504 for a write, whose outcome is unknown; 503 otherwise), after
     * that its connection is cut instead of the body being ended cleanly.
     */
    private static void relay(HttpServerExchange exchange, InputStream body, Server leader, boolean write) {
        long relayed = 0;
        try (InputStream in = body) {
            exchange.startBlocking();
            OutputStream out = exchange.getOutputStream();
            byte[] buffer = new byte[16 * 1024];
            while (true) {
                int n;
                try {
                    n = in.read(buffer);
                } catch (IOException e) {
                    leaderBrokeOff(exchange, leader, write, relayed, e);
                    return;
                }
                if (n < 0) {
                    break;
                }
                out.write(buffer, 0, n);
                relayed += n;
            }
            out.close();
        } catch (IOException e) {
            log.debug("client went away while relaying the leader's answer: {}", e.toString());
        }
    }

    private static void leaderBrokeOff(HttpServerExchange exchange, Server leader, boolean write, long relayed,
                                       IOException e) {
        String what = "the leader " + leader.id() + "'s answer broke off after " + relayed + " bytes of its body ("
                + e.getMessage() + ")";
        if (!exchange.isResponseStarted()) {
            exchange.getResponseHeaders().clear();
            throw write ? ApiException.outcomeUnknown(what + "; the write may or may not be applied")
                    : ApiException.unavailable(what);
        }
        log.warn("{}; cutting the client's connection so that the part relayed is not taken for the whole", what);
        IoUtils.safeClose(exchange.getConnection());
    }
}
