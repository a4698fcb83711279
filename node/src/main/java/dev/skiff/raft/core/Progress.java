package dev.skiff.raft.core;

/**
 * The leader's view of one follower's log (§5.3 nextIndex / matchIndex), with the
 * replication mode that decides how the leader sends to it (after etcd's
 * {@code tracker/Progress}).
 */
final class Progress {

    /** How the leader replicates to a follower. */
    enum Mode {
        /** Log position unknown: one AppendEntries at a time until one succeeds. */
        PROBE,
        /** Log matches: pipeline AppendEntries optimistically, up to the inflight limit. */
        REPLICATE,
        /** Behind the compacted log: a snapshot is being sent. */
        SNAPSHOT
    }

    final String id;
    String address;
    /** Highest index known to be replicated on the follower (§5.3 matchIndex). */
    long matchIndex;
    /** Index of the next entry to send (§5.3 nextIndex). */
    long nextIndex;
    Mode mode = Mode.PROBE;
    /** In PROBE mode: an AppendEntries is outstanding; wait for its answer or a heartbeat. */
    boolean probeSent;
    final Inflights inflights;
    /** In SNAPSHOT mode: the index of the snapshot being sent, and ticks since it was sent. */
    long pendingSnapshotIndex;
    int snapshotTicks;
    /**
     * Tick at which matchIndex last advanced, or at which appends became outstanding after none
     * were (to detect lost appends in REPLICATE mode).
     */
    long lastProgressTick;
    /** Heard from the follower since the last check-quorum round (thesis §6.2). */
    boolean recentActive;
    /** The leader's tick at which it last heard from the follower (or started tracking it). */
    long lastContactTick;
    /** Highest read sequence the follower has echoed (ReadIndex and lease). */
    long ackedReadSeq;
    /**
     * The leader's read sequence when it last learned of a new matchIndex. The leader numbers
     * its heartbeat rounds with increasing read sequences, so a request carrying a higher one
     * was sent after that answer arrived, and the follower handled it after it had the log
     * matchIndex names: if that request is refused for an index at or below matchIndex, the
     * follower lost entries it acknowledged (a wiped data directory or a torn log tail), it is
     * not a late answer.
     */
    long matchKnownAtReadSeq;
    /**
     * The log incarnation whose acknowledgements {@link #matchIndex} and {@link #ackedReadSeq}
     * hold, or null before the first accepted answer.
     */
    String logIncarnation;
    /** The log incarnation of the follower's latest answer, accepted or not (null before any). */
    String announcedIncarnation;

    Progress(String id, String address, long nextIndex, int maxInflight) {
        this.id = id;
        this.address = address;
        this.nextIndex = nextIndex;
        this.inflights = new Inflights(maxInflight);
    }

    /** Back to probing from just after the last known match (after etcd's {@code BecomeProbe}). */
    void becomeProbe() {
        long from = mode == Mode.SNAPSHOT ? Math.max(matchIndex, pendingSnapshotIndex) : matchIndex;
        mode = Mode.PROBE;
        probeSent = false;
        inflights.reset();
        pendingSnapshotIndex = 0;
        nextIndex = from + 1;
    }

    void becomeReplicate() {
        mode = Mode.REPLICATE;
        probeSent = false;
        inflights.reset();
        pendingSnapshotIndex = 0;
        nextIndex = matchIndex + 1;
    }

    void becomeSnapshot(long snapshotIndex) {
        mode = Mode.SNAPSHOT;
        probeSent = false;
        inflights.reset();
        pendingSnapshotIndex = snapshotIndex;
        snapshotTicks = 0;
    }

    /** Records an acknowledged index; true if it moved matchIndex forward. */
    boolean maybeUpdate(long acked) {
        boolean updated = acked > matchIndex;
        if (updated) {
            matchIndex = acked;
        }
        nextIndex = Math.max(nextIndex, acked + 1);
        return updated;
    }

    /** True if the leader should not send more entries right now. */
    boolean paused() {
        return switch (mode) {
            case PROBE -> probeSent;
            case REPLICATE -> inflights.full();
            case SNAPSHOT -> true;
        };
    }

    @Override
    public String toString() {
        return id + "{" + mode + " match=" + matchIndex + " next=" + nextIndex + " inflight=" + inflights.count() + "}";
    }
}
