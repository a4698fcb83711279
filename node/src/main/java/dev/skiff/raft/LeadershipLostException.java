package dev.skiff.raft;

/**
 * This server stopped being leader after it had appended the operation to its log but before
 * the operation committed. A new leader may still commit it: the outcome is unknown.
 */
public class LeadershipLostException extends RaftException {

    private static final long serialVersionUID = 1L;

    /** @param message what was in flight */
    public LeadershipLostException(String message) {
        super(message, null);
    }

    @Override
    public boolean outcomeUnknown() {
        return true;
    }
}
