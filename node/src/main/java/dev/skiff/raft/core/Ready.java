package dev.skiff.raft.core;

import dev.skiff.raft.LogEntry;
import dev.skiff.raft.SnapshotMeta;
import java.util.List;

/**
 * Everything the core wants done after a batch of steps, in the order the driver must do it
 * (after etcd's {@code Ready}; the ordering rules live here and in {@code RaftNode}, nowhere
 * else):
 * <ol>
 *   <li>if {@code founding}, record that the log begins with this server's bootstrap entry
 *       ({@link dev.skiff.raft.LogStore#markFounded()}) before anything else;</li>
 *   <li>persist {@code hardState} (if not null);</li>
 *   <li>if {@code resetLogTo > 0}, discard the whole stored log so it continues at that index;</li>
 *   <li>persist {@code entries}: first truncate any stored suffix at or after the first entry's
 *       index, then store them (one fsync);</li>
 *   <li>only then send {@code messages} (§5: a server answers only what it has made durable);</li>
 *   <li>restore the FSM from {@code restore} (if not null), then apply {@code committed} in
 *       order;</li>
 *   <li>if {@code compactBefore > 0}, drop log entries before it;</li>
 *   <li>hand {@code readStates} to the waiting readers;</li>
 *   <li>call {@link RaftCore#advance(Ready)}.</li>
 * </ol>
 *
 * @param hardState       term and vote to persist, or null if unchanged
 * @param resetLogTo      next index of a discarded log, or 0
 * @param entries         entries to persist
 * @param messages        messages to send after persisting
 * @param restore         a snapshot to load into the FSM before applying, or null
 * @param committed       committed entries to apply, in order
 * @param compactBefore   first log index to keep after compaction, or 0
 * @param readStates      confirmed reads
 * @param softState       the role, if it changed, else null
 * @param transferAborted true if a leadership transfer was abandoned
 * @param founding        true once, when this server bootstraps a cluster
 */
public record Ready(HardState hardState, long resetLogTo, List<LogEntry> entries, List<Outbound> messages,
                    SnapshotMeta restore, List<LogEntry> committed, long compactBefore,
                    List<ReadState> readStates, SoftState softState, boolean transferAborted,
                    boolean founding) {
}
