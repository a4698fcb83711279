package dev.skiff.api;

import dev.skiff.kv.KvStateMachine;
import dev.skiff.raft.Raft;
import dev.skiff.raft.RaftException;
import dev.skiff.raft.RestoreRefusedException;
import dev.skiff.raft.SnapshotStore;
import dev.skiff.storage.StorageHealth;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What the handlers share: the Raft node, the KV state machine, the snapshot store, the
 * forwarder, metrics and limits.
 *
 * @param nodeId        this node's id
 * @param raft          the Raft node
 * @param kv            the state machine
 * @param snapshots     where this node's snapshots are
 * @param forwarder     relays requests to the leader
 * @param metrics       metrics
 * @param maxValueBytes the largest accepted value
 * @param timeout       how long a write or consistent read may wait for Raft
 * @param health        what the storage back-ends are going through
 */
record ApiContext(String nodeId, Raft raft, KvStateMachine kv, SnapshotStore snapshots, Forwarder forwarder,
                  ApiMetrics metrics, int maxValueBytes, Duration timeout, StorageHealth health) {

    /**
     * Waits for a Raft future (on a virtual worker thread) and turns its failure into the API's
     * status: an outcome that may still change state is 504, anything surely not applied 503.
     */
    <T> T await(CompletableFuture<T> future, boolean write) {
        return await(future, write, timeout);
    }

    /** {@link #await(CompletableFuture, boolean)} for an operation allowed {@code limit} (a restore). */
    <T> T await(CompletableFuture<T> future, boolean write, Duration limit) {
        try {
            return future.get(limit.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw write ? ApiException.outcomeUnknown("timed out waiting for the cluster; the write may or may not be applied")
                    : ApiException.unavailable("timed out waiting for the cluster");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.unavailable("interrupted");
        } catch (ExecutionException | CompletionException e) {
            throw translate(e.getCause(), write);
        }
    }

    static RuntimeException translate(Throwable cause, boolean write) {
        if (cause instanceof ApiException api) {
            return api;
        }
        if (cause instanceof RestoreRefusedException refused) {
            return new ApiException(400, "bad_snapshot", refused.getMessage());
        }
        if (cause instanceof RaftException re) {
            return re.outcomeUnknown() && write
                    ? ApiException.outcomeUnknown(re.getMessage())
                    : ApiException.unavailable(re.getMessage());
        }
        if (cause instanceof IllegalStateException ise) {
            return new ApiException(409, "conflict", ise.getMessage());
        }
        return new ApiException(500, "internal", String.valueOf(cause));
    }
}
