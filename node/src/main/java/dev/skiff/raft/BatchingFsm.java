package dev.skiff.raft;

import java.util.List;

/**
 * An {@link Fsm} that applies many committed entries in one call, so it can amortise work
 * (one lock, one index update) across the batch. Raft calls {@link #applyBatch} instead of
 * {@link #apply} when the FSM implements this interface.
 */
public interface BatchingFsm extends Fsm {

    /**
     * Applies consecutive committed {@link LogType#COMMAND} entries, in order.
     *
     * @return one response per entry, in the same order (elements may be null)
     */
    List<Object> applyBatch(List<LogEntry> entries);
}
