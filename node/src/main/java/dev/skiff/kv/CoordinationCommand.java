package dev.skiff.kv;

import java.util.List;
import java.util.Objects;

/**
 * The coordination commands (API.md §8): transactions, which also carry every put with flags,
 * lock acquire / release and recursive delete, and the session lifecycle. Proposed in
 * {@link CoordinationCodec} form and applied by {@link KvStateMachine}, like {@link KvCommand}.
 *
 * <p>Commands that depend on time carry the proposing leader's clock ({@code leaderMillis}): the
 * state machine compares it with lock delays but never reads a clock itself, so every server
 * applies them alike.
 */
public sealed interface CoordinationCommand {

    /** The most operations one transaction may hold (each of compare, success, failure). */
    int MAX_OPS = 128;

    /**
     * A transaction: if every {@code compare} check holds, the {@code success} operations run,
     * else the {@code failure} operations; all of a branch's operations apply together or, if one
     * fails (a CAS, a lock, a check inside the branch), none does.
     *
     * @param leaderMillis the proposing node's clock, read only by lock acquisitions (against
     *                     lock delays), which the leader alone proposes; a transaction without
     *                     one may come from any node
     */
    record Txn(List<TxnOp> compare, List<TxnOp> success, List<TxnOp> failure, long leaderMillis)
            implements CoordinationCommand {

        /** @throws IllegalArgumentException naming the bad argument */
        public Txn {
            compare = List.copyOf(compare);
            success = List.copyOf(success);
            failure = List.copyOf(failure);
            for (List<TxnOp> ops : List.of(compare, success, failure)) {
                if (ops.size() > MAX_OPS) {
                    throw new IllegalArgumentException("a transaction holds at most " + MAX_OPS
                            + " operations per list, got " + ops.size());
                }
            }
            for (TxnOp op : compare) {
                if (op.verb().writes || op.verb() == TxnOp.Verb.GET || op.verb() == TxnOp.Verb.GET_TREE) {
                    throw new IllegalArgumentException("compare holds checks only, got " + op.verb());
                }
            }
        }

        /** A transaction of {@code ops} alone: all apply or none (Consul's form). */
        public static Txn of(List<TxnOp> ops, long leaderMillis) {
            return new Txn(List.of(), ops, List.of(), leaderMillis);
        }
    }

    /** Creates a session. */
    record SessionCreate(Session session) implements CoordinationCommand {
        public SessionCreate {
            Objects.requireNonNull(session, "session");
        }
    }

    /**
     * Invalidates a session (destroyed by a client or expired by the leader): its locks are
     * released or its keys deleted per its behavior, and its keys take its lock delay from
     * {@code leaderMillis}.
     */
    record SessionDestroy(String id, long leaderMillis) implements CoordinationCommand {
        public SessionDestroy {
            Objects.requireNonNull(id, "id");
        }
    }
}
