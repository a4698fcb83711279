package dev.skiff.raft;

/**
 * {@link Raft#bootstrapCluster} was called on a server that already has state (a term, log
 * entries or a snapshot), or with a configuration that does not include this server as a
 * voter. Nothing was changed.
 */
public class CannotBootstrapException extends RaftException {

    private static final long serialVersionUID = 1L;

    /** @param message why bootstrap was refused */
    public CannotBootstrapException(String message) {
        super(message, null);
    }

    @Override
    public boolean outcomeUnknown() {
        return false;
    }
}
