package dev.skiff.raft;

/**
 * The leader is handing leadership to another server and does not accept new operations
 * meanwhile (thesis §3.10). Nothing was applied; retry on the new leader.
 */
public class LeadershipTransferInProgressException extends RaftException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception. */
    public LeadershipTransferInProgressException() {
        super("leadership transfer in progress", null);
    }

    @Override
    public boolean outcomeUnknown() {
        return false;
    }
}
