package dev.skiff.raft;

/** The Raft node was shut down before the operation finished. */
public class RaftShutdownException extends RaftException {

    private static final long serialVersionUID = 1L;

    private final boolean outcomeUnknown;

    /** @param outcomeUnknown true if the operation had already been appended to the log */
    public RaftShutdownException(boolean outcomeUnknown) {
        super("raft is shut down", null);
        this.outcomeUnknown = outcomeUnknown;
    }

    @Override
    public boolean outcomeUnknown() {
        return outcomeUnknown;
    }
}
