package dev.skiff.api;

import dev.skiff.kv.CoordinationCodec;
import dev.skiff.kv.CoordinationCommand;
import dev.skiff.kv.KvResult;
import dev.skiff.kv.Session;
import dev.skiff.kv.TxnOp;
import java.util.List;
import java.util.Optional;

/**
 * The coordination writes (API.md §8) as the leader makes them, for both front ends (the native
 * API and the Consul listener): transactions, session create / renew / destroy. Each command
 * carries the leader's clock, which the state machine compares with lock delays. Call on the
 * leader, from a worker thread (it waits for the commit).
 */
final class CoordinationWrites {

    private final ApiContext ctx;
    private final SessionTimers timers;

    CoordinationWrites(ApiContext ctx, SessionTimers timers) {
        this.ctx = ctx;
        this.timers = timers;
    }

    /** Runs {@code ops} as one all-or-nothing transaction. */
    KvResult.TxnDone txn(List<TxnOp> ops) {
        return (KvResult.TxnDone) propose(CoordinationCommand.Txn.of(ops, System.currentTimeMillis()));
    }

    /** Runs {@code success} if every {@code compare} check holds, else {@code failure}; one Raft entry. */
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

    /** Invalidates a session: its locks are released or its keys deleted, per its behavior. */
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
