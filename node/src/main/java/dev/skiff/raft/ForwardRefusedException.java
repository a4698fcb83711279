package dev.skiff.raft;

/**
 * The leader a follower forwarded an operation to refused it (it was no longer the leader, or it
 * was handing leadership over) before appending anything: the operation will never take effect.
 */
public class ForwardRefusedException extends RaftException {

    private static final long serialVersionUID = 1L;

    /** @param message who refused and why */
    public ForwardRefusedException(String message) {
        super(message, null);
    }

    @Override
    public boolean outcomeUnknown() {
        return false;
    }
}
