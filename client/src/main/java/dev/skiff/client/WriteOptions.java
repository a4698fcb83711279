package dev.skiff.client;

/**
 * How a write may be retried.
 *
 * <p>A write that got {@code 504}, or whose connection failed after it was sent, may or may not
 * have been applied. By default the client never sends it again (it throws
 * {@link OutcomeUnknownException}); a caller that knows a repeat is harmless (a plain put of the
 * same value, a delete) marks the call idempotent and the client retries it like a read:
 *
 * <pre>{@code
 * client.put("config/mode", bytes, WriteOptions.idempotent());
 * }</pre>
 *
 * <p>Writes that got {@code 503} or could not connect are retried either way: they were surely
 * not applied.
 *
 * @param retryUnknownOutcome whether the client may send the write again after an unknown outcome
 */
public record WriteOptions(boolean retryUnknownOutcome) {

    /** Never repeat after an unknown outcome. */
    public static final WriteOptions DEFAULT = new WriteOptions(false);

    /** The options of a write the client may repeat after an unknown outcome. */
    public static WriteOptions idempotent() {
        return new WriteOptions(true);
    }
}
