package dev.skiff.raft;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * One Raft server: the public face of the consensus library, after hashicorp/raft's
 * {@code Raft}. Create one with {@link #create}.
 *
 * <p><b>Threading.</b> Every method is thread-safe and non-blocking: it queues work for the
 * server's single Raft loop thread and returns a future. Futures complete on internal
 * threads (the loop or the FSM thread); do not block inside their callbacks.
 *
 * <p><b>Failures.</b> Futures fail with a {@link RaftException} that says whether the
 * operation may still take effect ({@link RaftException#outcomeUnknown()}); never with
 * {@code null} or {@code false}. Operations that need the leader fail with
 * {@link NotLeaderException} elsewhere, carrying the leader's id and address.
 *
 * <p><b>Durability.</b> A completed {@link #apply} means the entry is stored (fsync) on a
 * quorum of voters, committed, and applied to this leader's FSM.
 */
public interface Raft extends AutoCloseable {

    /**
     * The largest user snapshot {@link #restore} takes: it travels as one log entry, which must
     * fit a WAL record and a raft message (64 MiB each) with room to spare.
     */
    int MAX_RESTORE_BYTES = 32 << 20;

    /**
     * Starts a Raft server on the given storage and transport, restoring the newest usable
     * snapshot into the FSM and replaying the committed state as it learns of it.
     *
     * @throws IllegalArgumentException if {@code config} is invalid (names the field)
     * @throws IOException              if the stores cannot be read
     */
    static Raft create(RaftConfig config, Fsm fsm, LogStore logs, StableStore stable,
                       SnapshotStore snapshots, Transport transport) throws IOException {
        return create(config, fsm, logs, stable, snapshots, transport, UnaryOperator.identity());
    }

    /**
     * {@link #create(RaftConfig, Fsm, LogStore, StableStore, SnapshotStore, Transport)}, with
     * {@code leaderCommands} applied by this server, while it leads, to every command it appends:
     * its own clients' and those followers forward. For example to stamp each command with the
     * leader's clock, one clock for the whole log. It runs on the Raft loop: keep it quick.
     */
    static Raft create(RaftConfig config, Fsm fsm, LogStore logs, StableStore stable, SnapshotStore snapshots,
                       Transport transport, UnaryOperator<byte[]> leaderCommands) throws IOException {
        return RaftNode.start(config, fsm, logs, stable, snapshots, transport, leaderCommands);
    }

    /**
     * True if the stores hold any Raft state (a term, log entries or a snapshot): such a
     * server must not be bootstrapped again (hashicorp {@code HasExistingState}).
     */
    static boolean hasExistingState(LogStore logs, StableStore stable, SnapshotStore snapshots) throws IOException {
        return stable.getLong(StableStore.CURRENT_TERM, 0) > 0 || logs.lastIndex() > 0 || !snapshots.list().isEmpty();
    }

    /**
     * Manual disaster recovery when a quorum is permanently lost (hashicorp
     * {@code RecoverCluster}): run offline, on every surviving server, before starting it. It
     * applies the whole log to {@code fsm}, stores a snapshot of the result, and appends
     * {@code configuration} as a new configuration entry, so that the server starts in that
     * configuration. Entries that were not committed may become committed: use only when the
     * alternative is losing the cluster.
     *
     * @throws CannotBootstrapException if there is no existing state to recover
     */
    static void recoverCluster(RaftConfig config, Fsm fsm, LogStore logs, StableStore stable,
                               SnapshotStore snapshots, Configuration configuration) throws IOException {
        ClusterRecovery.recover(config, fsm, logs, stable, snapshots, configuration);
    }

    /**
     * Proposes a command. On the leader it is appended to the log (batched with concurrent
     * proposals into one write), replicated, committed, and applied to the FSM; the future
     * completes with its index and the FSM's response. On a follower it is forwarded to the
     * leader over the transport (with every other command proposed meanwhile, in one message),
     * and the future completes when this server has applied it, with its own FSM's response. A
     * leader that refuses it fails the future with {@link ForwardRefusedException}; with no
     * leader known it fails with {@link NotLeaderException}. A command is never appended twice.
     *
     * @param command the command's bytes; not copied, do not modify after the call
     * @param timeout how long to wait to be admitted and committed; on expiry the future fails
     *                with {@link RaftTimeoutException} (outcome unknown once appended)
     */
    ApplyFuture apply(byte[] command, Duration timeout);

    /**
     * Appends a barrier: completes, with its index, once every entry before it has been
     * applied to this leader's FSM.
     */
    CompletableFuture<Long> barrier(Duration timeout);

    /** Completes if this server is still the leader as confirmed by a quorum right now. */
    CompletableFuture<Void> verifyLeader();

    /**
     * Linearizable read barrier (ReadIndex, thesis §6.4): the leader records its commit index,
     * confirms with a quorum that it is still leader, and completes with that index once its
     * FSM has applied at least that far. A read of the local FSM after completion is
     * linearizable. On a follower the read index comes from the leader (one request for every
     * read that arrived meanwhile) and the future completes once this server has applied it.
     */
    CompletableFuture<Long> readIndex();

    /**
     * Lease read barrier: like {@link #readIndex()} but without a round of messages when a
     * quorum acknowledged this leader within {@link RaftConfig#leaderLeaseTimeout()}. Relies on
     * bounded clock drift; falls back to a quorum check when the lease has lapsed. On a
     * follower, the leader answers its read index under its lease the same way.
     */
    CompletableFuture<Long> leaseRead();

    /**
     * Adds a voter, or makes an existing non-voter a voter. Only one membership change is in
     * flight at a time (thesis §4.1).
     *
     * @param prevIndex 0, or the index of the configuration the change was based on: if the
     *                  configuration has changed since, the change fails with
     *                  {@link ConfigurationChangeException}
     * @return the index of the new configuration entry, once committed
     */
    CompletableFuture<Long> addVoter(String id, String address, String apiAddress, long prevIndex, Duration timeout);

    /** Adds a non-voter (it replicates but does not vote). See {@link #addVoter}. */
    CompletableFuture<Long> addNonvoter(String id, String address, String apiAddress, long prevIndex, Duration timeout);

    /** Removes a server. If it is the leader itself, it steps down once the change commits. */
    CompletableFuture<Long> removeServer(String id, long prevIndex, Duration timeout);

    /** Turns a voter into a non-voter. */
    CompletableFuture<Long> demoteVoter(String id, long prevIndex, Duration timeout);

    /**
     * Hands leadership to the most up-to-date voter (thesis §3.10): the leader stops accepting
     * new operations, brings the target's log up to date and sends it TimeoutNow. Completes when
     * the target has won, fails if it does not within an election timeout.
     */
    CompletableFuture<Void> leadershipTransfer();

    /** Hands leadership to a specific voter. See {@link #leadershipTransfer()}. */
    CompletableFuture<Void> leadershipTransferToServer(String id, String address);

    /**
     * Takes a snapshot now: captures the FSM at its applied index, persists it to the snapshot
     * store while applies continue, and compacts the log (keeping
     * {@link RaftConfig#trailingLogs()}). If a snapshot is being taken, this one starts once it
     * is done, so that it covers everything applied when this was called.
     */
    CompletableFuture<SnapshotHandle> snapshot();

    /**
     * Replaces the cluster's state with a user snapshot, on the leader. Unlike hashicorp's
     * {@code Restore}, which installs the snapshot on the leader before a quorum has it, the
     * bytes travel through the log as one {@link LogType#RESTORE} entry: it commits on a quorum
     * like any write and every server loads it at the same index ({@link Fsm#applyRestore}), so
     * a restore takes effect on every server or on none, whatever fails in between. The future
     * completes once the leader has applied it; a snapshot the FSM refuses fails it with
     * {@link RestoreRefusedException} and changes nothing anywhere. The configuration is the
     * cluster's own, untouched.
     *
     * @param meta the snapshot's metadata, or null; only its size is used (refused early when
     *             above {@link #MAX_RESTORE_BYTES})
     * @param data the snapshot bytes, as written by the FSM's {@link FsmSnapshot#persist}; at
     *             most {@link #MAX_RESTORE_BYTES}, else the future fails with
     *             {@link IllegalArgumentException} (a bigger state seeds a new cluster instead)
     * @return the index of the restore entry: the restored state is as of that index
     */
    CompletableFuture<Long> restore(SnapshotMeta meta, InputStream data, Duration timeout);

    /**
     * Makes this new server the first of a cluster with the given configuration (hashicorp
     * {@code BootstrapCluster}): writes it as the first log entry. Every server of the initial
     * configuration may be bootstrapped with the identical configuration.
     *
     * @throws CannotBootstrapException (in the future) if the server already has state
     */
    CompletableFuture<Void> bootstrapCluster(Configuration configuration);

    /** The current role. */
    RaftState state();

    /** The leader this server knows of: id, Raft address, api address. */
    Optional<Server> leader();

    /** The latest configuration this server knows (possibly not committed yet). */
    Configuration configuration();

    /** The index of the last entry applied to the FSM. */
    long appliedIndex();

    /** A consistent view of the server's state; {@link RaftStats#toMap()} gives hashicorp's keys. */
    RaftStats stats();

    /**
     * Registers an observer of role and leader changes. Observers are called in order on one
     * notifier thread and must not block.
     */
    void addObserver(Consumer<Observation> observer);

    /** Unregisters an observer. */
    void removeObserver(Consumer<Observation> observer);

    /**
     * Stops the server: fails pending operations with {@link RaftShutdownException}, stops the
     * loop, closes the transport. Does not close the stores, which the caller owns. Completes
     * when everything has stopped.
     */
    CompletableFuture<Void> shutdown();

    /** {@link #shutdown()} and wait. */
    @Override
    default void close() {
        shutdown().join();
    }
}
