package dev.skiff.archive;

import java.time.Instant;

/** What a point-in-time restore restores to: a log index, or a time. */
public sealed interface RestoreTarget {

    /** The committed state at exactly {@code index}. */
    record Index(long index) implements RestoreTarget {
        /** @throws IllegalArgumentException if {@code index} is below 1 */
        public Index {
            if (index < 1) {
                throw new IllegalArgumentException("--restore-to-index must be at least 1, got " + index);
            }
        }
    }

    /** The committed state after the last entry committed at or before {@code time}. */
    record Time(Instant time) implements RestoreTarget {
    }
}
