package dev.skiff.raft;

/**
 * The operation did not finish within its timeout. If it timed out before it was appended to
 * the log (still queued), it will never take effect; after that, it may.
 */
public class RaftTimeoutException extends RaftException {

    private static final long serialVersionUID = 1L;

    private final boolean outcomeUnknown;

    /** @param message what timed out; @param outcomeUnknown whether it may still take effect */
    public RaftTimeoutException(String message, boolean outcomeUnknown) {
        super(message + (outcomeUnknown ? " (it may still be applied)" : " (it was not applied)"), null);
        this.outcomeUnknown = outcomeUnknown;
    }

    @Override
    public boolean outcomeUnknown() {
        return outcomeUnknown;
    }
}
