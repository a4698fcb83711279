package dev.skiff.wal;

import dev.skiff.raft.CorruptLogException;
import java.nio.file.Path;

/** Builds the one message every integrity failure carries: what, where, and how to recover. */
final class Corruption {

    static final String RECOVERY = "The data on this node's disk cannot be trusted: stop the node, "
            + "wipe this node's data dir and let it rejoin the cluster (it gets the data back from the leader).";

    private Corruption() {
    }

    static CorruptLogException at(Path file, long offset, String what) {
        return new CorruptLogException("corrupt data in " + file + " at offset " + offset + ": " + what + ". " + RECOVERY);
    }

    static CorruptLogException in(Path file, String what) {
        return new CorruptLogException("corrupt data in " + file + ": " + what + ". " + RECOVERY);
    }
}
