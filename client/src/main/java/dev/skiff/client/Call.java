package dev.skiff.client;

import java.net.http.HttpRequest.BodyPublisher;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * One request as the {@link Retrier} sends it, possibly several times.
 *
 * @param method       the HTTP method
 * @param path         path and query, starting with {@code /}
 * @param body         a fresh body for each attempt, or null for none
 * @param contentType  the body's content type, or null
 * @param retryUnknown whether it may be sent again after an unknown outcome (reads, idempotent writes)
 * @param timeout      how long one attempt may wait for the response headers
 * @param token        the ACL token, or null
 */
record Call(String method, String path, Supplier<BodyPublisher> body, String contentType, boolean retryUnknown,
            Duration timeout, String token) {
}
