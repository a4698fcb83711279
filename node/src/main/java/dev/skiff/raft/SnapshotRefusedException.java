package dev.skiff.raft;

import java.io.IOException;

/**
 * A snapshot transfer ({@link Transport#sendSnapshot}) that reached the receiver, which answered
 * and refused it: for a snapshot sent by reference, the receiver could not find it in its own
 * store. Unlike a transfer that never got an answer (an unreachable peer), it tells the sender
 * that sending the same thing again will not help.
 */
public final class SnapshotRefusedException extends IOException {

    private static final long serialVersionUID = 1L;

    /** @param message the receiver's answer, in words */
    public SnapshotRefusedException(String message) {
        super(message);
    }

    /** @param message what was refused; @param cause the receiver's own failure */
    public SnapshotRefusedException(String message, Throwable cause) {
        super(message, cause);
    }

    /** True if {@code failure} or one of its causes is a refusal. */
    public static boolean isRefusal(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SnapshotRefusedException) {
                return true;
            }
        }
        return false;
    }
}
