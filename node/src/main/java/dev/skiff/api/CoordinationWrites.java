package dev.skiff.api;

import dev.skiff.kv.CoordinationCodec;
import dev.skiff.kv.CoordinationCommand;
import dev.skiff.kv.KvResult;
import dev.skiff.kv.Session;
import dev.skiff.kv.TxnOp;
import java.util.List;
import java.util.Optional;

/**
 * The coordination writes (API.md §8) for both front ends (the native API and the Consul
 * listener): transactions, session create / renew / destroy. Each command carries the proposing
 * node's clock, which the state machine compares with lock delays; it must be the leader's
 * wherever it is read (a lock acquisition, a session's end), so those run on the leader and a
 * follower forwards their requests to it. A transaction that acquires no lock reads no clock: a
 * follower proposes it itself, through its Raft (which hands the command to the leader over the
 * raft transport, as it does key writes). Call from a worker thread (it waits for the commit).
 */
final class CoordinationWrites {

    private final ApiContext ctx;
    private final SessionTimers timers;

    CoordinationWrites(ApiContext ctx, SessionTimers timers) {
        this.ctx = ctx;
        this.timers = timers;
    }

    /**
     * Whether a transaction of these operations must be proposed by the leader: one that
     * acquires a lock, which the state machine judges against lock delays by the command's
     * clock. Any other runs on any node.
     */
    @SafeVarargs
    static boolean needsLeaderClock(List<TxnOp>... branches) {
        for (List<TxnOp> ops : branches) {
            for (TxnOp op : ops) {
                if (op.verb() == TxnOp.Verb.LOCK) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Runs {@code ops} as one all-or-nothing transaction (on a follower only if {@link #needsLeaderClock} is false). */
    KvResult.TxnDone txn(List<TxnOp> ops) {
        return (KvResult.TxnDone) propose(CoordinationCommand.Txn.of(ops, System.currentTimeMillis()));
    }

    /**
     * Runs {@code success} if every {@code compare} check holds, else {@code failure}; one Raft
     * entry (on a follower only if {@link #needsLeaderClock} is false).
     */
    KvResult.TxnDone txn(List<TxnOp> compare, List<TxnOp> success, List<TxnOp> failure) {
        return (KvResult.TxnDone) propose(new CoordinationCommand.Txn(compare, success, failure, System.currentTimeMillis()));
    }

    /** Creates {@code session} (its id chosen by the caller) and starts its TTL timer on this leader. */
    KvResult.SessionCreated createSession(Session session) {
        KvResult.SessionCreated created = (KvResult.SessionCreated) propose(new CoordinationCommand.SessionCreate(session));
        timers.renew(session);
        return created;
    }

    /**
     * Restarts a session's TTL timer: no Raft entry, as in Consul, but leadership is confirmed
     * first so a deposed leader does not answer. Empty if no such session.
     */
    Optional<Session> renewSession(String id) {
        ctx.await(ctx.raft().leaseRead(), false);
        Optional<Session> session = ctx.kv().state().session(id);
        session.ifPresent(timers::renew);
        return session;
    }

    /**
     * Invalidates a session: its locks are released or its keys deleted, per its behavior, and
     * its keys get their lock delays by this node's clock (call on the leader).
     */
    KvResult.SessionDestroyed destroySession(String id) {
        return (KvResult.SessionDestroyed) propose(new CoordinationCommand.SessionDestroy(id, System.currentTimeMillis()));
    }

    private KvResult propose(CoordinationCommand command) {
        var applied = ctx.await(ctx.raft().apply(CoordinationCodec.encode(command), ctx.timeout()), true);
        if (applied.response() instanceof KvResult.Rejected r) {
            throw new ApiException(500, "internal", "the state machine rejected the command: " + r.reason());
        }
        return (KvResult) applied.response();
    }
}
