package dev.skiff.raft;

import dev.skiff.raft.core.MembershipChange;
import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.RaftMessage;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * What reaches a {@link RaftNode}'s loop: every input of the Raft core, from the network, the
 * disk, the snapshotter and clients. The loop is the only thread that touches the core, so
 * everything else hands it one of these. Ticks are not events: the loop derives them from the
 * runtime's clock before it handles a batch (see {@link RaftNode}).
 */
sealed interface LoopEvent {

    /** A message from a peer. */
    record Received(RaftMessage message) implements LoopEvent {
    }

    /**
     * A snapshot a leader sent (or named, in a shared store) is stored locally and can be
     * installed. {@code opened} is the snapshot already opened for reading when it lives in a
     * store shared by the cluster, whose retention may delete it before the FSM gets to it;
     * null otherwise.
     */
    record SnapshotStored(InstallSnapshot header, SnapshotMeta local, OpenSnapshot opened) implements LoopEvent {
    }

    /** A snapshot could not be sent to (or read by) {@code peer}. */
    record SnapshotSendFailed(String peer) implements LoopEvent {
    }

    /** This server finished writing a snapshot of its state machine. */
    record SnapshotTaken(SnapshotMeta meta) implements LoopEvent {
    }

    /** A snapshot store shared by the cluster holds {@code meta}, at or past the one this server knows, which is gone. */
    record SharedSnapshotFound(SnapshotMeta meta) implements LoopEvent {
    }

    /** The log writer finished a write: the loop collects its outcome. */
    record LogWritten() implements LoopEvent {
    }

    /** A client's command or barrier; {@code future} completes when it is applied. */
    record Propose(LogType type, byte[] data, Duration timeout, CompletableFuture<Object> future) implements LoopEvent {
    }

    /**
     * A client read: {@code lease} for a leader-lease read, else ReadIndex; {@code waitForApply}
     * completes the future only once the state machine has applied the read index.
     */
    record Read(boolean lease, boolean waitForApply, CompletableFuture<Long> future) implements LoopEvent {
    }

    /** A membership change; {@code future} completes with its index once it is committed and applied. */
    record ChangeMembership(MembershipChange change, Duration timeout, CompletableFuture<Long> future) implements LoopEvent {
    }

    /** A leadership transfer to {@code target}, or to the most up-to-date voter if null. */
    record TransferLeadership(String target, CompletableFuture<Void> future) implements LoopEvent {
    }

    /** Bootstraps a new cluster with {@code configuration}. */
    record Bootstrap(Configuration configuration, CompletableFuture<Void> future) implements LoopEvent {
    }

    /** Stops the node. */
    record Shutdown() implements LoopEvent {
    }
}
