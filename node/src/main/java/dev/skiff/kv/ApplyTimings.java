package dev.skiff.kv;

/**
 * Told how long the state machine took to apply each batch of committed entries, for metrics.
 * Called on Raft's FSM thread after every apply: implementations must be quick and must not
 * block.
 */
@FunctionalInterface
public interface ApplyTimings {

    /** Records nothing. */
    ApplyTimings NONE = (entries, nanos) -> { };

    /**
     * A batch was applied.
     *
     * @param entries how many entries it had
     * @param nanos   how long applying them took, publishing the new state included
     */
    void applied(int entries, long nanos);
}
