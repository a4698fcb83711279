package dev.skiff.wal;

import dev.skiff.raft.CorruptLogException;
import java.nio.file.Path;

/** Builds the one message every integrity failure carries: what, where, and how to recover. */
final class Corruption {

    static final String RECOVERY = "The data on this node's disk cannot be trusted. While the other nodes have a "
            + "leader: move this node's data dir aside (keep it for diagnosis) and start the node again with the same "
            + "flags; it rejoins as the same member, the leader sends it the data, and /readyz says 503 until it has "
            + "caught up. Recover one node at a time.";

    private Corruption() {
    }

    static CorruptLogException at(Path file, long offset, String what) {
        return new CorruptLogException("corrupt data in " + file + " at offset " + offset + ": " + what + ". " + RECOVERY);
    }

    static CorruptLogException in(Path file, String what) {
        return new CorruptLogException("corrupt data in " + file + ": " + what + ". " + RECOVERY);
    }
}
