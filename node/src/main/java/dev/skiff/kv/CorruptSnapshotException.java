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
    private final boolean truncated;

    /**
     * @param offset  the byte offset in the snapshot stream where the problem was found
     * @param problem what is wrong there
     */
    CorruptSnapshotException(long offset, String problem) {
        this(offset, problem, false);
    }

    private CorruptSnapshotException(long offset, String problem, boolean truncated) {
        super("KV snapshot corrupt at byte offset " + offset + ": " + (truncated ? "truncated: " : "") + problem);
        this.offset = offset;
        this.problem = problem;
        this.truncated = truncated;
    }

    /**
     * The stream ended at {@code offset}, where more was needed.
     *
     * @param inside what the stream ended inside, e.g. {@code "block 3 (10 of 65540 bytes present)"}
     */
    static CorruptSnapshotException truncated(long offset, String inside) {
        return new CorruptSnapshotException(offset, "the snapshot ends inside " + inside, true);
    }

    /** The byte offset in the snapshot stream where the problem was found. */
    public long offset() {
        return offset;
    }

    /** Whether the stream simply ended too early (at {@link #offset()}). */
    public boolean truncated() {
        return truncated;
    }

    /** What is wrong at {@link #offset()}, without the offset (nor "truncated"). */
    public String problem() {
        return problem;
    }
}
