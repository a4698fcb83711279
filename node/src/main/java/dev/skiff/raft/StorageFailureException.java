package dev.skiff.raft;

/**
 * The log or stable store failed to make data durable (disk full, I/O error). The leader
 * refuses new writes until the store recovers; nothing already acknowledged is affected.
 */
public class StorageFailureException extends RaftException {

    private static final long serialVersionUID = 1L;

    private final boolean outcomeUnknown;

    /**
     * @param message        what failed
     * @param cause          the I/O failure
     * @param outcomeUnknown true if the operation may still commit
     */
    public StorageFailureException(String message, Throwable cause, boolean outcomeUnknown) {
        super(message, cause);
        this.outcomeUnknown = outcomeUnknown;
    }

    @Override
    public boolean outcomeUnknown() {
        return outcomeUnknown;
    }
}
