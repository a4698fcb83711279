package dev.skiff.raft;

/**
 * A leadership transfer could not start or did not finish: no eligible target, the target is
 * not a voter, or it did not win within an election timeout. Leadership is unchanged.
 */
public class LeadershipTransferException extends RaftException {

    private static final long serialVersionUID = 1L;

    /** @param message why the transfer failed */
    public LeadershipTransferException(String message) {
        super(message, null);
    }

    @Override
    public boolean outcomeUnknown() {
        return false;
    }
}
