package dev.skiff.raft;

import java.io.IOException;
import java.io.InputStream;

/**
 * The replicated state machine: the application's state, changed only by committed log
 * entries.
 *
 * <p><b>Threading.</b> All its methods are called from one thread (the node's FSM thread),
 * never concurrently with each other, so the FSM needs no locking for writes. Reads served to
 * clients from other threads must be safe against concurrent {@link #apply} calls.
 *
 * <p><b>Determinism.</b> {@link #apply} must produce the same state on every server from the
 * same entries: no clocks, no randomness, no local configuration.
 *
 * @see BatchingFsm
 */
public interface Fsm {

    /**
     * Applies one committed {@link LogType#COMMAND} entry.
     *
     * @return the response handed to whoever called {@link Raft#apply} on the leader (may be
     *         null); exceptions are not allowed — a command that the FSM rejects returns a value
     *         that says so
     */
    Object apply(LogEntry entry);

    /**
     * Captures a point-in-time view of the state. Should return quickly: {@link #apply} is not
     * called until it returns. Expensive I/O belongs in {@link FsmSnapshot#persist}, which runs
     * on another thread while applies continue.
     */
    FsmSnapshot snapshot();

    /**
     * Replaces the whole state with the contents of a snapshot written by
     * {@link FsmSnapshot#persist}. The stream is closed by the caller.
     *
     * @throws IOException if the data cannot be read or is corrupt; the FSM must then be left
     *                     in its previous state
     */
    void restore(InputStream snapshot) throws IOException;

    /**
     * Replaces the whole state with the user snapshot a committed {@link LogType#RESTORE} entry
     * carries (bytes written by {@link FsmSnapshot#persist}, handed to {@link Raft#restore}).
     * Every server applies the same bytes at the same index, so afterwards their states are equal.
     * The state must read as if written at {@code entry.index()}: an FSM that keeps log indexes
     * in its state (a key's modify index) keeps none above it, since the snapshot may come from a
     * cluster whose log is longer than this one's.
     *
     * @throws IOException if the bytes are not a snapshot this FSM can load; the state must then
     *                     be unchanged. Every server refuses the same bytes the same way, so such
     *                     a restore takes effect on none and the cluster goes on.
     */
    void applyRestore(LogEntry entry) throws IOException;
}
