package dev.skiff.raft;

import java.util.Arrays;
import java.util.Objects;

/**
 * One entry of the replicated log.
 *
 * <p>Immutable by convention: nobody writes to {@code data} once the entry exists (the array
 * is shared, not copied, to keep the write path free of copies).
 *
 * @param index position in the log, from 1
 * @param term  the leader's term when the entry was created
 * @param type  what the entry carries
 * @param data  the payload (the command for {@link LogType#COMMAND}); never null, may be empty
 */
public record LogEntry(long index, long term, LogType type, byte[] data) {

    private static final byte[] NONE = new byte[0];

    /** @throws IllegalArgumentException if index or term is not positive */
    public LogEntry {
        if (index < 1) {
            throw new IllegalArgumentException("log index must be >= 1, got " + index);
        }
        if (term < 1) {
            throw new IllegalArgumentException("log term must be >= 1, got " + term);
        }
        Objects.requireNonNull(type, "type");
        data = data == null ? NONE : data;
    }

    /** An entry without payload. */
    public static LogEntry of(long index, long term, LogType type) {
        return new LogEntry(index, term, type, NONE);
    }

    /** Value equality, including the payload bytes. */
    @Override
    public boolean equals(Object o) {
        return o instanceof LogEntry e && e.index == index && e.term == term && e.type == type
                && Arrays.equals(e.data, data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(index, term, type, Arrays.hashCode(data));
    }

    @Override
    public String toString() {
        return "LogEntry[" + index + "@" + term + " " + type + " " + data.length + "B]";
    }
}
