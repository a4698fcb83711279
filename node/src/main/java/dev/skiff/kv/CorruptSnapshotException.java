package dev.skiff.kv;

import java.io.IOException;

/**
 * A KV snapshot stream failed its checks: bad magic, an unknown version, a checksum mismatch,
 * truncation, or a record that cannot be right. Thrown by {@link KvStateMachine#restore}, which
 * then leaves the state as it was.
 */
public final class CorruptSnapshotException extends IOException {

    private static final long serialVersionUID = 1L;

    private final long offset;
    private final String problem;

    /**
     * @param offset  the byte offset in the snapshot stream where the problem was found
     * @param problem what is wrong there
     */
    CorruptSnapshotException(long offset, String problem) {
        super("KV snapshot corrupt at byte offset " + offset + ": " + problem);
        this.offset = offset;
        this.problem = problem;
    }

    /** The byte offset in the snapshot stream where the problem was found. */
    public long offset() {
        return offset;
    }

    /** What is wrong at {@link #offset()}, without the offset. */
    public String problem() {
        return problem;
    }
}
