package dev.skiff.client;

import java.time.Duration;

/**
 * Told before the client tries a request again: for logging (the CLI's {@code --verbose}) and
 * tests. Called on the calling thread; must not throw.
 */
@FunctionalInterface
public interface RetryListener {

    /** Hears nothing. */
    RetryListener NONE = (method, path, endpoint, reason, delay) -> { };

    /**
     * @param method   the HTTP method
     * @param path     the request's path and query
     * @param endpoint the endpoint the last attempt went to
     * @param reason   why it failed ({@code "503 no_leader"}, {@code "connection refused"}...)
     * @param delay    how long the client waits before the next attempt (the node's
     *                 {@code Retry-After}, capped by the retry budget, or the back-off)
     */
    void retrying(String method, String path, String endpoint, String reason, Duration delay);
}
