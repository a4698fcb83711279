package dev.skiff.raft;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * The simulation's state machine: a count of applied commands and a running hash of them, so
 * two servers agree exactly when they applied the same commands in the same order. Each apply
 * is reported to the cluster's oracle (state machine safety).
 */
final class SimFsm implements Fsm {

    private final SimCluster cluster;
    private final SimNode node;
    long count;
    long hash = 17;

    SimFsm(SimCluster cluster, SimNode node) {
        this.cluster = cluster;
        this.node = node;
    }

    @Override
    public Object apply(LogEntry entry) {
        cluster.applied(node, entry);
        count++;
        for (byte b : entry.data()) {
            hash = hash * 31 + b;
        }
        hash = hash * 1_000_003 + count;
        return ByteBuffer.wrap(entry.data()).getLong();
    }

    @Override
    public FsmSnapshot snapshot() {
        long c = count;
        long h = hash;
        return out -> {
            DataOutputStream data = new DataOutputStream(out);
            data.writeLong(c);
            data.writeLong(h);
            data.flush();
        };
    }

    /** A user restore: the oracle sees it as it sees every applied entry; a short snapshot is refused unchanged. */
    @Override
    public void applyRestore(LogEntry entry) throws IOException {
        cluster.applied(node, entry);
        if (entry.data().length != 16) {
            throw new IOException("a snapshot of this FSM is 16 bytes, not " + entry.data().length);
        }
        restore(new java.io.ByteArrayInputStream(entry.data()));
        cluster.restoreApplied(node, entry);
    }

    @Override
    public void restore(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        count = data.readLong();
        hash = data.readLong();
    }
}
