package dev.skiff.it.linearizability;

import java.util.Objects;

/**
 * How a request ended, from the client's point of view.
 *
 * <ul>
 *   <li>{@link Ok}: a definite result. A {@code 412} CAS mismatch is {@code Ok} with a
 *       {@link KvResult.Mismatch}: it says something definite about the key.
 *   <li>{@link Failed}: the request certainly did not take effect ({@code 503}, a refused
 *       connection, a {@code 4xx} validation error). The checker drops it; if a read later
 *       sees its value, that read has no write to explain it and the history is rejected.
 *   <li>{@link Unknown}: it may or may not have taken effect (a timeout, {@code 504}, a reset
 *       connection). For linearizability its completion time is +infinity: it may take
 *       effect at any point after its invocation, or never.
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
public sealed interface Outcome {

    /** A definite result. */
    record Ok(KvResult result) implements Outcome {
        public Ok {
            Objects.requireNonNull(result, "result");
        }
    }

    /** Certainly not applied; {@code reason} is for reports, e.g. {@code "503"}. */
    record Failed(String reason) implements Outcome {
        public Failed {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** Maybe applied, maybe not; {@code reason} is for reports, e.g. {@code "504"}. */
    record Unknown(String reason) implements Outcome {
        public Unknown {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
