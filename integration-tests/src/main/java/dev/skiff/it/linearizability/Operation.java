package dev.skiff.it.linearizability;

import java.util.Locale;
import java.util.Objects;

/**
 * One request in a recorded history: who sent it, when, what, and how it ended.
 *
 * <p>Times are {@link System#nanoTime()} readings (any common monotonic clock works): {@code
 * invokedAt} is read just before the request is sent, {@code completedAt} just after its
 * answer arrives (for {@link Outcome.Unknown}, when the client gave up; the checker then
 * treats the completion as +infinity and keeps this time only for reports). Two operations
 * are ordered in real time only when one's {@code completedAt} is strictly before the
 * other's {@code invokedAt}; equal readings count as concurrent.
 *
 * <p>The constructor checks that the result fits the request (e.g. a get cannot return
 * {@link KvResult.Written}) and throws {@link IllegalArgumentException} naming the operation
 * otherwise. Immutable and thread-safe.
 *
 * @param id unique within the history; reports name operations as {@code #id}
 * @param clientId the client (a sequential thread) that issued it; informational
 */
public record Operation(int id, int clientId, KvOp op, long invokedAt, long completedAt, Outcome outcome) {

    public Operation {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(outcome, "outcome");
        if (completedAt < invokedAt) {
            throw new IllegalArgumentException("operation #" + id + " " + describeOp(op)
                    + ": completedAt " + completedAt + " is before invokedAt " + invokedAt);
        }
        if (outcome instanceof Outcome.Ok(KvResult result) && !fits(op, result)) {
            throw new IllegalArgumentException("operation #" + id + " " + describeOp(op)
                    + ": result " + result + " is not a possible answer to this request");
        }
    }

    /** The key the operation touches. */
    public String key() {
        return op.key();
    }

    /**
     * A one-line description for reports, e.g. {@code #17 c2 get(k) -> "a"@5 [2.900, 3.201 ms]},
     * with times in milliseconds since {@code originNanos}.
     */
    public String describe(long originNanos) {
        String end = outcome instanceof Outcome.Unknown ? "?" : millis(completedAt - originNanos);
        return "#" + id + " c" + clientId + " " + describeOp(op) + " -> " + describeOutcome(outcome)
                + " [" + millis(invokedAt - originNanos) + ", " + end + " ms]";
    }

    /** A request for reports, e.g. {@code cas("k", expect 5, "c1-2")} or {@code get("t0")}. */
    public static String describeOp(KvOp op) {
        return switch (op) {
            case KvOp.Put p -> "put(" + quote(p.key()) + ", " + quote(p.value()) + ")";
            case KvOp.Cas c -> "cas(" + quote(c.key()) + ", expect " + c.expectedModifyIndex() + ", "
                    + quote(c.value()) + ")";
            case KvOp.Get g -> "get(" + quote(g.key()) + ")";
            case KvOp.Delete d -> "delete(" + quote(d.key()) + ")";
            case KvOp.CasDelete d -> "delete(" + quote(d.key()) + ", expect " + d.expectedModifyIndex() + ")";
            case KvOp.Acquire a -> "acquire(" + quote(a.key()) + ", session " + quote(a.session()) + ", "
                    + quote(a.value()) + ")";
            case KvOp.Release r -> "release(" + quote(r.key()) + ", session " + quote(r.session()) + ", "
                    + quote(r.value()) + ")";
        };
    }

    static String describeOutcome(Outcome outcome) {
        return switch (outcome) {
            case Outcome.Ok(KvResult result) -> switch (result) {
                case KvResult.Written w -> "index " + w.index();
                case KvResult.Mismatch m -> "412 (modifyIndex " + m.currentModifyIndex() + ")";
                case KvResult.Found f -> quote(f.value()) + "@" + f.modifyIndex();
                case KvResult.NotFound n -> "404";
                case KvResult.Deletion d -> (d.deleted() ? "deleted" : "not deleted") + ", index " + d.index();
                case KvResult.LockResult l -> Boolean.toString(l.applied());
            };
            case Outcome.Failed f -> "failed (" + f.reason() + ")";
            case Outcome.Unknown u -> "unknown (" + u.reason() + ")";
        };
    }

    static String quote(String s) {
        int max = 40;
        String shown = s.length() <= max ? s : s.substring(0, max) + "...(" + s.length() + " chars)";
        return '"' + shown + '"';
    }

    static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
    }

    private static boolean fits(KvOp op, KvResult result) {
        return switch (op) {
            case KvOp.Put p -> result instanceof KvResult.Written;
            case KvOp.Cas c -> result instanceof KvResult.Written || result instanceof KvResult.Mismatch;
            case KvOp.Get g -> result instanceof KvResult.Found || result instanceof KvResult.NotFound;
            case KvOp.Delete d -> result instanceof KvResult.Deletion;
            case KvOp.CasDelete d -> result instanceof KvResult.Deletion || result instanceof KvResult.Mismatch;
            case KvOp.Acquire a -> result instanceof KvResult.LockResult;
            case KvOp.Release r -> result instanceof KvResult.LockResult;
        };
    }
}
