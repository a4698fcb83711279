package dev.skiff.raft;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of one Raft server. Every field has a documented {@code DEFAULT_*} constant; start
 * from {@link #defaults(String)} and change what you need with the {@code with*} methods.
 * {@link #validate()} names the first bad field and its allowed range.
 *
 * <p>Time is counted by the core in ticks of {@link #tickInterval}; the timeouts are rounded
 * to whole ticks.
 *
 * @param localId              this server's id, as in the {@link Configuration}
 * @param tickInterval         the logical clock's resolution
 * @param heartbeatInterval    how often an idle leader sends AppendEntries to each follower
 * @param electionTimeout      the minimum time without hearing from a leader before a follower
 *                             campaigns; each wait is randomised in [timeout, 2 × timeout)
 *                             (§5.2). Also the check-quorum period and how long a voter that
 *                             hears from a leader ignores other candidates.
 * @param leaderLeaseTimeout   how long after a quorum last acknowledged it a leader may serve
 *                             {@code default}-consistency reads without asking again; must be
 *                             shorter than the election timeout, so that no other leader can be
 *                             elected while the lease holds
 * @param maxAppendEntries     most entries in one AppendEntries message (and in one group
 *                             commit of the leader's own log)
 * @param maxAppendBytes       most payload bytes in one AppendEntries message
 * @param maxInflightAppends   most AppendEntries messages in flight to one follower while
 *                             pipelining (flow control)
 * @param maxPendingApplies    most client operations queued at the leader before new ones are
 *                             refused (back-pressure)
 * @param maxApplyBatch        most committed entries handed to the FSM in one batch
 * @param snapshotInterval     how often the node checks whether to take a snapshot: each check
 *                             comes a random one to two intervals after the last (as in
 *                             hashicorp/raft), so that servers started together do not
 *                             snapshot together
 * @param snapshotThreshold    how many entries past the last snapshot a periodic one waits for
 * @param proportionalSnapshotBytes from this size of the last snapshot on, a periodic snapshot
 *                             also waits until the entries applied since hold as many bytes as
 *                             that snapshot, so that snapshots of a large state never write more
 *                             than the log does (0: always)
 * @param trailingLogs         how many entries to keep in the log behind a snapshot, so slow
 *                             followers can catch up without a snapshot
 * @param preVote              whether candidates run a pre-vote round first (thesis §9.6)
 * @param checkQuorum          whether a leader steps down when it has not heard from a quorum
 *                             within an election timeout (thesis §6.2)
 */
public record RaftConfig(
        String localId,
        Duration tickInterval,
        Duration heartbeatInterval,
        Duration electionTimeout,
        Duration leaderLeaseTimeout,
        int maxAppendEntries,
        int maxAppendBytes,
        int maxInflightAppends,
        int maxPendingApplies,
        int maxApplyBatch,
        Duration snapshotInterval,
        long snapshotThreshold,
        long proportionalSnapshotBytes,
        long trailingLogs,
        boolean preVote,
        boolean checkQuorum) {

    /** 10 ms: fine enough for sub-second failover, cheap enough to tick idle. */
    public static final Duration DEFAULT_TICK_INTERVAL = Duration.ofMillis(10);
    /** 50 ms: a tenth of the election timeout, so a few lost heartbeats do not cause an election. */
    public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofMillis(50);
    /** 500 ms: failover well under the 1.5 s target, with room for GC pauses on small machines. */
    public static final Duration DEFAULT_ELECTION_TIMEOUT = Duration.ofMillis(500);
    /** 400 ms: below the election timeout with a margin for clock-rate drift between servers. */
    public static final Duration DEFAULT_LEADER_LEASE_TIMEOUT = Duration.ofMillis(400);
    /** 512 entries per message: large enough to amortise a round trip, small enough to stay responsive. */
    public static final int DEFAULT_MAX_APPEND_ENTRIES = 512;
    /** 1 MiB per message: bounds the memory a follower needs per in-flight append. */
    public static final int DEFAULT_MAX_APPEND_BYTES = 1 << 20;
    /** 16 messages in flight per follower: hides a few network round trips behind each fsync. */
    public static final int DEFAULT_MAX_INFLIGHT_APPENDS = 16;
    /** 8192 queued operations: beyond that the leader is saturated and says so. */
    public static final int DEFAULT_MAX_PENDING_APPLIES = 8192;
    /** 256 entries per FSM batch. */
    public static final int DEFAULT_MAX_APPLY_BATCH = 256;
    /** 30 s between snapshot checks. */
    public static final Duration DEFAULT_SNAPSHOT_INTERVAL = Duration.ofSeconds(30);
    /** 8192 entries since the last snapshot trigger a new one (hashicorp's default). */
    public static final long DEFAULT_SNAPSHOT_THRESHOLD = 8192;
    /**
     * 64 MiB: a state smaller than that is cheap to write every {@code snapshotThreshold} entries
     * (hashicorp's rule); a larger one is written again only once the log has grown by as much.
     */
    public static final long DEFAULT_PROPORTIONAL_SNAPSHOT_BYTES = 64L << 20;
    /** 10240 entries kept behind a snapshot (hashicorp's default). */
    public static final long DEFAULT_TRAILING_LOGS = 10240;
    /** Pre-vote on: a returning partitioned server does not disrupt the cluster. */
    public static final boolean DEFAULT_PRE_VOTE = true;
    /** Check-quorum on: needed for leader leases and to end a partitioned leader's reign. */
    public static final boolean DEFAULT_CHECK_QUORUM = true;

    /** @throws NullPointerException if a field is null */
    public RaftConfig {
        Objects.requireNonNull(localId, "localId");
        Objects.requireNonNull(tickInterval, "tickInterval");
        Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
        Objects.requireNonNull(electionTimeout, "electionTimeout");
        Objects.requireNonNull(leaderLeaseTimeout, "leaderLeaseTimeout");
        Objects.requireNonNull(snapshotInterval, "snapshotInterval");
    }

    /** The defaults, for the server with this id. */
    public static RaftConfig defaults(String localId) {
        return new RaftConfig(localId, DEFAULT_TICK_INTERVAL, DEFAULT_HEARTBEAT_INTERVAL,
                DEFAULT_ELECTION_TIMEOUT, DEFAULT_LEADER_LEASE_TIMEOUT, DEFAULT_MAX_APPEND_ENTRIES,
                DEFAULT_MAX_APPEND_BYTES, DEFAULT_MAX_INFLIGHT_APPENDS, DEFAULT_MAX_PENDING_APPLIES,
                DEFAULT_MAX_APPLY_BATCH, DEFAULT_SNAPSHOT_INTERVAL, DEFAULT_SNAPSHOT_THRESHOLD,
                DEFAULT_PROPORTIONAL_SNAPSHOT_BYTES, DEFAULT_TRAILING_LOGS, DEFAULT_PRE_VOTE, DEFAULT_CHECK_QUORUM);
    }

    /**
     * Checks every field.
     *
     * @return this config, for chaining
     * @throws IllegalArgumentException naming the first bad field and its allowed range
     */
    public RaftConfig validate() {
        if (localId.isBlank()) {
            throw new IllegalArgumentException("localId must not be blank");
        }
        requireRange("tickInterval", tickInterval, Duration.ofMillis(1), Duration.ofSeconds(1));
        requireRange("heartbeatInterval", heartbeatInterval, tickInterval, electionTimeout.dividedBy(2));
        requireRange("electionTimeout", electionTimeout, tickInterval.multipliedBy(5), Duration.ofMinutes(1));
        requireRange("leaderLeaseTimeout", leaderLeaseTimeout, tickInterval, electionTimeout.minus(tickInterval));
        requireRange("maxAppendEntries", maxAppendEntries, 1, 65_536);
        requireRange("maxAppendBytes", maxAppendBytes, 1024, 64 << 20);
        requireRange("maxInflightAppends", maxInflightAppends, 1, 1024);
        requireRange("maxPendingApplies", maxPendingApplies, 1, 1 << 20);
        requireRange("maxApplyBatch", maxApplyBatch, 1, 65_536);
        requireRange("snapshotInterval", snapshotInterval, Duration.ofMillis(10), Duration.ofDays(1));
        requireRange("snapshotThreshold", snapshotThreshold, 1, Long.MAX_VALUE);
        requireRange("proportionalSnapshotBytes", proportionalSnapshotBytes, 0, Long.MAX_VALUE);
        requireRange("trailingLogs", trailingLogs, 0, Long.MAX_VALUE);
        return this;
    }

    private static void requireRange(String field, Duration value, Duration min, Duration max) {
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new IllegalArgumentException(field + " must be between " + min.toMillis() + " ms and "
                    + max.toMillis() + " ms, got " + value.toMillis() + " ms");
        }
    }

    private static void requireRange(String field, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(field + " must be between " + min + " and " + max + ", got " + value);
        }
    }

    /** Heartbeat interval in ticks (at least 1). */
    public int heartbeatTicks() {
        return ticks(heartbeatInterval);
    }

    /** Election timeout in ticks (at least 1). */
    public int electionTicks() {
        return ticks(electionTimeout);
    }

    /** Leader lease in ticks (at least 1). */
    public int leaseTicks() {
        return ticks(leaderLeaseTimeout);
    }

    private int ticks(Duration d) {
        return (int) Math.max(1, d.toNanos() / tickInterval.toNanos());
    }

    /** A copy with another tick interval. */
    public RaftConfig withTickInterval(Duration v) {
        return new RaftConfig(localId, v, heartbeatInterval, electionTimeout, leaderLeaseTimeout, maxAppendEntries,
                maxAppendBytes, maxInflightAppends, maxPendingApplies, maxApplyBatch, snapshotInterval,
                snapshotThreshold, proportionalSnapshotBytes, trailingLogs, preVote, checkQuorum);
    }

    /** A copy with other heartbeat, election and lease timeouts. */
    public RaftConfig withTimeouts(Duration heartbeat, Duration election, Duration lease) {
        return new RaftConfig(localId, tickInterval, heartbeat, election, lease, maxAppendEntries,
                maxAppendBytes, maxInflightAppends, maxPendingApplies, maxApplyBatch, snapshotInterval,
                snapshotThreshold, proportionalSnapshotBytes, trailingLogs, preVote, checkQuorum);
    }

    /** A copy with other replication limits. */
    public RaftConfig withReplication(int entries, int bytes, int inflight) {
        return new RaftConfig(localId, tickInterval, heartbeatInterval, electionTimeout, leaderLeaseTimeout, entries,
                bytes, inflight, maxPendingApplies, maxApplyBatch, snapshotInterval,
                snapshotThreshold, proportionalSnapshotBytes, trailingLogs, preVote, checkQuorum);
    }

    /** A copy with other snapshot settings. */
    public RaftConfig withSnapshots(Duration interval, long threshold, long trailing) {
        return new RaftConfig(localId, tickInterval, heartbeatInterval, electionTimeout, leaderLeaseTimeout,
                maxAppendEntries, maxAppendBytes, maxInflightAppends, maxPendingApplies, maxApplyBatch, interval,
                threshold, proportionalSnapshotBytes, trailing, preVote, checkQuorum);
    }

    /** A copy with another size from which snapshots wait for as many log bytes (see {@link #proportionalSnapshotBytes}). */
    public RaftConfig withProportionalSnapshotBytes(long bytes) {
        return new RaftConfig(localId, tickInterval, heartbeatInterval, electionTimeout, leaderLeaseTimeout,
                maxAppendEntries, maxAppendBytes, maxInflightAppends, maxPendingApplies, maxApplyBatch,
                snapshotInterval, snapshotThreshold, bytes, trailingLogs, preVote, checkQuorum);
    }

    /** A copy with pre-vote and check-quorum switched. */
    public RaftConfig withElectionSafeguards(boolean newPreVote, boolean newCheckQuorum) {
        return new RaftConfig(localId, tickInterval, heartbeatInterval, electionTimeout, leaderLeaseTimeout,
                maxAppendEntries, maxAppendBytes, maxInflightAppends, maxPendingApplies, maxApplyBatch,
                snapshotInterval, snapshotThreshold, proportionalSnapshotBytes, trailingLogs, newPreVote, newCheckQuorum);
    }

    /** A copy for another server id. */
    public RaftConfig withLocalId(String id) {
        return new RaftConfig(id, tickInterval, heartbeatInterval, electionTimeout, leaderLeaseTimeout,
                maxAppendEntries, maxAppendBytes, maxInflightAppends, maxPendingApplies, maxApplyBatch,
                snapshotInterval, snapshotThreshold, proportionalSnapshotBytes, trailingLogs, preVote, checkQuorum);
    }
}
