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
        this(outcomeUnknown, message + (outcomeUnknown ? " (it may still be applied)" : " (it was not applied)"));
    }

    /** @param fullMessage the message as it is, with no word on the outcome added */
    private RaftTimeoutException(boolean outcomeUnknown, String fullMessage) {
        super(fullMessage, null);
        this.outcomeUnknown = outcomeUnknown;
    }

    /** A read that timed out: it changes nothing, so its message says nothing of being applied. */
    static RaftTimeoutException ofRead(String message) {
        return new RaftTimeoutException(false, message);
    }

    @Override
    public boolean outcomeUnknown() {
        return outcomeUnknown;
    }
}
