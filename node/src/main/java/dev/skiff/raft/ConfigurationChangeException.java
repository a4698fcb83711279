package dev.skiff.raft;

/**
 * A membership change was refused: another change is still uncommitted (only one at a time,
 * thesis §4.1), the configuration changed since {@code prevIndex}, or the change is invalid
 * (removing the last voter). Nothing was applied.
 */
public class ConfigurationChangeException extends RaftException {

    private static final long serialVersionUID = 1L;

    /** @param message why the change was refused */
    public ConfigurationChangeException(String message) {
        super(message, null);
    }

    @Override
    public boolean outcomeUnknown() {
        return false;
    }
}
