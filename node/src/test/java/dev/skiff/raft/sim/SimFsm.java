package dev.skiff.raft.sim;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The simulation's state machine: a count of applied commands and a running hash of them, so
 * two servers agree exactly when they applied the same commands in the same order.
 */
final class SimFsm {

    long count;
    long hash = 17;

    void apply(byte[] command) {
        count++;
        for (byte b : command) {
            hash = hash * 31 + b;
        }
        hash = hash * 1_000_003 + count;
    }

    void persist(OutputStream out) throws IOException {
        DataOutputStream data = new DataOutputStream(out);
        data.writeLong(count);
        data.writeLong(hash);
        data.flush();
    }

    void restore(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        count = data.readLong();
        hash = data.readLong();
    }
}
