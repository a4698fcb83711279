package dev.skiff.raft;

/**
 * A user restore ({@link Raft#restore}) that committed but whose snapshot the FSM could not
 * load: every server refused the same bytes at the same index, so the state is what it was
 * before. Certainly not applied; retrying the same bytes fails the same way.
 */
public final class RestoreRefusedException extends RaftException {

    private static final long serialVersionUID = 1L;

    /** @param index the index of the refused restore entry; @param cause what the FSM said */
    public RestoreRefusedException(long index, Throwable cause) {
        super("the snapshot restored at index " + index + " was refused by the state machine: " + cause.getMessage()
                + "; nothing changed", cause);
    }

    @Override
    public boolean outcomeUnknown() {
        return false;
    }
}
