package dev.skiff.cli;

import dev.skiff.kv.CorruptSnapshotException;
import dev.skiff.raft.CorruptLogException;
import dev.skiff.raft.StableStoreFencedException;

/**
 * The operator's message when Raft stops on an error it cannot recover from
 * ({@code Observation.Fatal}): the cause, then what to do about it. The process then exits 1
 * so that its supervisor (systemd, ECS, the autoscaling group) restarts or replaces it.
 */
final class FatalStop {

    /** What to do when nothing more specific is known. */
    static final String GENERIC_FIX = "The node exits so that its supervisor restarts it. If it stops again with the same "
            + "error after the restart, move its data dir aside and start it with an empty one (it rejoins and gets the data "
            + "back from the leader), and report the error with this log.";

    private FatalStop() {
    }

    /** The message naming the cause of the stop of node {@code id} and the fix. */
    static String describe(String id, Throwable cause) {
        String prefix = "Raft stopped on node " + id + ": ";
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof CorruptLogException) {
                return prefix + t.getMessage(); // names the file, the offset and the recovery itself
            }
            if (t instanceof StableStoreFencedException) {
                return prefix + t.getMessage() + ". Another process holds this node's identity in the stable store: make "
                        + "sure only one process runs with --id " + id + ", then start this one again.";
            }
            if (t instanceof CorruptSnapshotException) {
                return prefix + t.getMessage() + ". A snapshot this node was given cannot be read. The node exits so that its "
                        + "supervisor restarts it; if it fails again, move its data dir aside and start it with an empty one "
                        + "(it rejoins and gets a good snapshot from the leader).";
            }
        }
        String what = cause.getMessage() == null ? cause.toString() : cause.getMessage();
        return prefix + what + ". " + GENERIC_FIX;
    }
}
