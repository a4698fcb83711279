package dev.skiff.raft;

/**
 * Base of every failure that a {@link Raft} future completes with. The one question a caller
 * must answer after a failed write is whether it may have been applied anyway, so every
 * failure says so.
 */
public abstract class RaftException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** @param message what went wrong; @param cause the underlying failure, or null */
    protected RaftException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * True if the operation may still take effect (it was appended to the leader's log and
     * could be committed); false if it certainly did not and is safe to retry.
     */
    public abstract boolean outcomeUnknown();
}
