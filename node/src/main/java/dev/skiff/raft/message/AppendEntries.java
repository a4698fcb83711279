package dev.skiff.raft.message;

import dev.skiff.raft.LogEntry;
import java.util.List;

/**
 * AppendEntries RPC (§5.3), also the heartbeat when {@code entries} is empty.
 *
 * @param term         leader's term
 * @param from         leader's id
 * @param fromAddress  leader's transport address
 * @param to           receiver's id
 * @param prevLogIndex index of the entry immediately preceding the new ones
 * @param prevLogTerm  term of that entry
 * @param entries      entries to store (empty for a heartbeat)
 * @param leaderCommit leader's commitIndex
 * @param readSeq      the leader's read-round number, echoed in the response; a response with
 *                     {@code readSeq >= n} confirms the leader's leadership for read round
 *                     {@code n} (ReadIndex, thesis §6.4)
 */
public record AppendEntries(long term, String from, String fromAddress, String to,
                            long prevLogIndex, long prevLogTerm, List<LogEntry> entries,
                            long leaderCommit, long readSeq) implements RaftMessage {

    /** Copies {@code entries} defensively only if it is not already an unmodifiable list. */
    public AppendEntries {
        entries = List.copyOf(entries);
    }

    /** Index of the last entry in this message, or prevLogIndex if it carries none. */
    public long lastIndex() {
        return prevLogIndex + entries.size();
    }
}
