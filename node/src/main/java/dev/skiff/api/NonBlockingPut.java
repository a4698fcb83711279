package dev.skiff.api;

import dev.skiff.kv.KvCommand;
import dev.skiff.kv.KvCommandCodec;
import dev.skiff.raft.ApplyResult;
import dev.skiff.raft.RaftState;
import io.undertow.io.Receiver;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.SameThreadExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code PUT /v1/kv/{key}} without a worker thread, the hottest request of all: the I/O thread
 * reads the body (it is small and usually already there), proposes the command and returns; when
 * Raft has applied it, the answer is written back on the exchange's I/O thread. On a follower
 * Raft forwards the command to the leader over the raft transport, batched with the others that
 * arrived meanwhile, so a follower serves writes the same way, with no thread per request.
 *
 * <p>Why: the worker path costs two thread hand-offs per write (I/O thread to a virtual thread
 * and back from the FSM thread to it), and, worse, a response completed on a thread other than
 * the I/O thread races the client's next request on the same connection: Undertow's I/O thread
 * then spins until the worker has resumed reads, which under load was a third of the leader's
 * CPU samples. Answering on the I/O thread avoids both.
 *
 * <p>Only the ordinary case goes this way: a request with a bad key, query, size or ACL token goes
 * to the worker path, which answers it exactly as before.
 */
final class NonBlockingPut {

    private static final Logger log = LoggerFactory.getLogger(NonBlockingPut.class);
    private static final String PREFIX = "/v1/kv/";
    /** Stands in for the value while the request line is checked, before the body is read. */
    private static final byte[] NO_VALUE = new byte[0];

    private final ApiContext ctx;
    private final KvHandler kv;
    private final AclGuard acl;
    private final IoThreadQueues answers;

    NonBlockingPut(ApiContext ctx, KvHandler kv, AclGuard acl, IoThreadQueues answers) {
        this.ctx = ctx;
        this.kv = kv;
        this.acl = acl;
        this.answers = answers;
    }

    /**
     * Takes the request if it is an ordinary put (then returns true and answers it later), else
     * returns false and leaves the exchange untouched. On the I/O thread.
     */
    boolean tryStart(HttpServerExchange exchange) {
        String path = exchange.getRequestPath();
        if (!path.startsWith(PREFIX) || !exchange.getRequestMethod().toString().equals("PUT")) {
            return false;
        }
        if (acl.enabled() && ctx.raft().state() != RaftState.LEADER) {
            return false; // a follower's token check waits for the leader (AclGuard#freshen): not on an I/O thread
        }
        long declared = exchange.getRequestContentLength();
        if (declared < 0 || declared > ctx.maxValueBytes()) {
            return false;
        }
        if (!acl.mayPut(exchange, path.substring(PREFIX.length()))) {
            return false; // the worker path answers 401 or 403
        }
        long started = System.nanoTime();
        KvCommand.Put check;
        try {
            check = kv.putCommand(exchange, path.substring(PREFIX.length()), NO_VALUE);
        } catch (ApiException | IllegalArgumentException e) {
            return false;
        }
        Receiver receiver = exchange.getRequestReceiver();
        receiver.setMaxBufferSize(ctx.maxValueBytes());
        // Set once receiveFullBytes has returned. Only a body read inline, in the turn that read
        // the headers, is known to leave no read listener behind (Undertow waits for the rest of
        // a body with a listener of its own), and only then is there a suspend left to undo.
        boolean[] bodyWasWaitedFor = new boolean[1];
        receiver.receiveFullBytes((ex, value) -> {
            boolean readInline = !bodyWasWaitedFor[0];
            // Keep the exchange open after this callback returns: it is answered when applied.
            ex.dispatch(SameThreadExecutor.INSTANCE, () -> {
                if (readInline) {
                    ReadInterest.keepWhileAnswering(ex);
                }
                propose(ex, new KvCommand.Put(check.key(), value, check.cas()), started);
            });
        }, (ex, e) -> {
            if (e instanceof Receiver.RequestToLargeException) {
                finish(ex, kv.tooLarge(-1), started);
            } else {
                // The connection broke mid-body; nobody is left to answer.
                ex.setPersistent(false);
                ex.endExchange();
            }
        });
        bodyWasWaitedFor[0] = true;
        return true;
    }

    private void propose(HttpServerExchange exchange, KvCommand.Put command, long started) {
        long proposed = System.nanoTime();
        try {
            // Raft fails the future itself once the timeout has passed (outcome unknown).
            ctx.raft().apply(KvCommandCodec.encode(command), ctx.timeout())
                    .whenComplete((applied, error) -> answers.execute(exchange,
                            () -> applied(exchange, applied, error, started, proposed)));
        } catch (RuntimeException e) {
            internal(exchange, e, started);
        }
    }

    private void applied(HttpServerExchange exchange, ApplyResult applied, Throwable error, long started, long proposed) {
        try {
            if (error != null) {
                Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                finish(exchange, (ApiException) ApiContext.translate(cause, true), started);
                return;
            }
            ctx.metrics().apply(System.nanoTime() - proposed);
            try {
                kv.respondWritten(exchange, applied);
            } catch (ApiException e) {
                finish(exchange, e, started);
                return;
            }
            ctx.metrics().request("kv", "PUT", exchange.getStatusCode(), System.nanoTime() - started);
        } catch (RuntimeException e) {
            internal(exchange, e, started);
        }
    }

    private void internal(HttpServerExchange exchange, RuntimeException e, long started) {
        log.error("request failed method=PUT path={}", exchange.getRequestPath(), e);
        finish(exchange, new ApiException(500, "internal", "internal error: " + e), started);
    }

    /** Answers {@code e} and records the request. */
    private void finish(HttpServerExchange exchange, ApiException e, long started) {
        ctx.metrics().error(e.code);
        if (exchange.isResponseStarted()) {
            exchange.endExchange();
        } else {
            Responses.error(exchange, e);
        }
        ctx.metrics().request("kv", "PUT", e.status, System.nanoTime() - started);
    }
}
