package dev.skiff.client;

import java.time.Duration;

/**
 * The request was surely not applied, and retrying did not help within the client's retry
 * budget: every endpoint answered {@code 503} (no leader, not ready) or could not be reached.
 * Safe to retry later, writes included.
 */
public final class UnavailableException extends SkiffException {

    private static final long serialVersionUID = 1L;

    private final Duration retryAfter;

    /**
     * @param status     503, or 0 when no endpoint could be reached
     * @param code       the node's error code, or ""
     * @param message    what failed, naming the endpoints tried
     * @param retryAfter the last {@code Retry-After} the node asked for (zero if none)
     * @param cause      the last connection failure, or null
     */
    public UnavailableException(int status, String code, String message, Duration retryAfter, Throwable cause) {
        super(status, code, message, cause);
        this.retryAfter = retryAfter;
    }

    /** The last {@code Retry-After} a node asked for; {@link Duration#ZERO} if none did. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
