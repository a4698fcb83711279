package dev.skiff.client;

/**
 * A write may or may not have been applied: the node answered {@code 504}, or the connection
 * failed or timed out after the request was sent. The client never repeats such a write on its
 * own unless the call was marked {@linkplain WriteOptions#idempotent() idempotent}; read the key
 * (with {@link Consistency#CONSISTENT}) to find out what happened.
 */
public final class OutcomeUnknownException extends SkiffException {

    private static final long serialVersionUID = 1L;

    /**
     * @param status  504, or 0 when the connection failed after sending
     * @param code    the node's error code, or ""
     * @param message what happened
     * @param cause   the I/O failure, or null
     */
    public OutcomeUnknownException(int status, String code, String message, Throwable cause) {
        super(status, code, message, cause);
    }
}
