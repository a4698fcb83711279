package dev.skiff.raft;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A point-in-time view of the FSM, returned by {@link Fsm#snapshot()}, that can be written
 * out while the FSM keeps applying entries.
 *
 * <p>Raft calls {@link #persist} once, on a thread other than the FSM thread, and then
 * {@link #release()} whether or not persist succeeded.
 */
public interface FsmSnapshot {

    /**
     * Writes the snapshot. Do not close {@code out}; Raft commits or cancels the underlying
     * {@link SnapshotSink} itself.
     *
     * @throws IOException to abandon the snapshot
     */
    void persist(OutputStream out) throws IOException;

    /** Frees what the view holds. Called exactly once, after persist. */
    default void release() {
    }
}
