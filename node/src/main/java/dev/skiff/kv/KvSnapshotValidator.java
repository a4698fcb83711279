package dev.skiff.kv;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks a whole KV snapshot before anything uses it: a user's upload ({@code PUT
 * /v1/snapshot}) or a {@code --restore-from} file. The snapshot is decoded, to its last byte,
 * into a scratch {@link KvStateMachine} by the very code every node's restore runs, so what
 * passes here is what every node will accept: the magic and version, the header and every
 * block checksum, every record (key, indexes, value length, key order), the end block, no byte
 * after it, and a length equal to the declared one.
 *
 * <p>Memory: the scratch state is as large as the state the snapshot holds, and is garbage once
 * this returns; a restore needs as much again anyway (the old and the new state side by side).
 * Stateless and thread-safe.
 */
public final class KvSnapshotValidator {

    private KvSnapshotValidator() {
    }

    /**
     * What a valid snapshot holds.
     *
     * @param appliedIndex the Raft index of the last entry the snapshot's state includes (its
     *                     header records it): the state's modify indexes are at most this
     * @param entries      the number of keys
     * @param bytes        the snapshot's length
     */
    public record Valid(long appliedIndex, long entries, long bytes) {
    }

    /**
     * Validates a snapshot file, whose length is its size on disk.
     *
     * @throws InvalidSnapshotException naming what is wrong and where
     * @throws IOException              if the file cannot be read
     */
    public static Valid validate(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return validate(in, Files.size(file));
        }
    }

    /**
     * Validates a snapshot of {@code declaredLength} bytes (an HTTP {@code Content-Length}),
     * reading {@code in} to its end.
     *
     * @throws InvalidSnapshotException naming what is wrong and where, including a stream that
     *                                  ends before {@code declaredLength} bytes or goes on past them
     * @throws IOException              if reading {@code in} fails
     */
    public static Valid validate(InputStream in, long declaredLength) throws IOException {
        if (declaredLength < 0) {
            throw new IllegalArgumentException("declared length " + declaredLength + " < 0");
        }
        BoundedStream bounded = new BoundedStream(in, declaredLength);
        KvStateMachine scratch = new KvStateMachine();
        try {
            scratch.restore(bounded);
        } catch (CorruptSnapshotException e) {
            if (bounded.endedEarly()) {
                throw truncatedBody(bounded.count(), declaredLength);
            }
            throw new InvalidSnapshotException(e.truncated()
                    ? "truncated at byte " + e.offset() + " of " + declaredLength + ": " + e.problem()
                    : e.problem() + ", at byte offset " + e.offset() + " of " + declaredLength, e);
        }
        if (bounded.endedEarly()) {
            throw truncatedBody(bounded.count(), declaredLength);
        }
        if (in.read() != -1) {
            throw new InvalidSnapshotException("the snapshot is longer than its declared length of " + declaredLength
                    + " bytes (a complete snapshot ends there; bytes follow it)");
        }
        return new Valid(scratch.appliedIndex(), scratch.state().size(), declaredLength);
    }

    private static InvalidSnapshotException truncatedBody(long received, long declaredLength) {
        return new InvalidSnapshotException("truncated at byte " + received + " of " + declaredLength
                + ": the data ended before its declared length");
    }

    /**
     * Hands out at most {@code limit} bytes of {@code in} and remembers whether {@code in} ended
     * before them.
     */
    private static final class BoundedStream extends InputStream {
        private final InputStream in;
        private final long limit;
        private long count;
        private boolean endedEarly;

        BoundedStream(InputStream in, long limit) {
            this.in = in;
            this.limit = limit;
        }

        long count() {
            return count;
        }

        boolean endedEarly() {
            return endedEarly;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (count >= limit) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, limit - count));
            if (n < 0) {
                endedEarly = true;
                return -1;
            }
            count += n;
            return n;
        }
    }
}
