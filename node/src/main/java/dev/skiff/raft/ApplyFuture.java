package dev.skiff.raft;

import java.util.concurrent.CompletableFuture;

/**
 * The pending result of {@link Raft#apply}: completes with the entry's index and the FSM's
 * response once the entry is committed and applied on this leader, or fails with a
 * {@link RaftException} that says whether the command may still take effect.
 *
 * <p>Completed on the node's FSM thread: dependent actions that block should move elsewhere
 * ({@code thenApplyAsync}).
 */
public final class ApplyFuture extends CompletableFuture<ApplyResult> {

    /** Creates an incomplete future; Raft completes it. */
    public ApplyFuture() {
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new CompletableFuture<>();
    }
}
