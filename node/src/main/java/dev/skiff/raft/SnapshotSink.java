package dev.skiff.raft;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Where a snapshot's bytes go while it is being written (a temporary directory, an S3
 * multipart upload). Created by {@link SnapshotStore#create}.
 *
 * <p>The writer writes everything to {@link #out()}, then calls exactly one of
 * {@link #commit()} (the snapshot becomes visible to {@link SnapshotStore#list()}, complete)
 * or {@link #cancel()} (nothing becomes visible). Not thread-safe: one writer.
 */
public interface SnapshotSink {

    /** The store's id for the snapshot being written. */
    String id();

    /** The stream to write the snapshot's data to; do not close it, call {@link #commit()}. */
    OutputStream out();

    /**
     * Makes the snapshot durable and visible, atomically: after a crash it is either listed
     * complete or not at all.
     *
     * @return the final metadata, with size and checksum
     */
    SnapshotMeta commit() throws IOException;

    /** Abandons the snapshot and frees what it used. Never throws. */
    void cancel();
}
