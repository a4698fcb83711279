package dev.skiff.api;

import dev.skiff.raft.RaftState;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Methods;
import io.undertow.util.SameThreadExecutor;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.ObjLongConsumer;
import org.xnio.XnioExecutor;

/**
 * {@code GET /v1/kv/{key}} with {@code default} or {@code consistent} consistency without a
 * worker thread: the I/O thread starts the read barrier (Raft's lease read or read index, which
 * a follower asks of the leader) and returns; when it has passed, the request is served on the
 * exchange's I/O thread like a {@code stale} read, by the one request path of {@link ApiServer}
 * (which then skips the barrier). A barrier that fails is answered there too, as the blocking
 * path would have answered it.
 *
 * <p>Why: the worker path costs two thread hand-offs per read, and its answer, written from a
 * virtual thread, races the client's next request on the connection (see {@link NonBlockingPut}).
 *
 * <p>Only the plain case goes this way: any other query parameter (a blocking read's
 * {@code index}, {@code meta}) or an ACL token that may not read the key goes to the worker
 * path, and so does every read on a follower with ACLs on (its token check first waits for the
 * leader, {@link AclGuard}).
 */
final class NonBlockingGet {

    private static final String PREFIX = "/v1/kv/";

    private final ApiContext ctx;
    private final AclGuard acl;
    private final IoThreadQueues answers;
    private final ObjLongConsumer<HttpServerExchange> serve;

    /**
     * @param serve serves the exchange once its barrier has passed or failed, given when the
     *              request arrived (System.nanoTime), on the exchange's I/O thread
     */
    NonBlockingGet(ApiContext ctx, AclGuard acl, IoThreadQueues answers, ObjLongConsumer<HttpServerExchange> serve) {
        this.ctx = ctx;
        this.acl = acl;
        this.answers = answers;
        this.serve = serve;
    }

    /**
     * Takes the request if it is a plain key read that needs a barrier (then returns true and
     * answers it later), else returns false and leaves the exchange untouched. On the I/O thread.
     */
    boolean tryStart(HttpServerExchange exchange) {
        String path = exchange.getRequestPath();
        if (!Methods.GET.equals(exchange.getRequestMethod()) || path.length() <= PREFIX.length() || !path.startsWith(PREFIX)) {
            return false;
        }
        Consistency mode = switch (exchange.getQueryString()) {
            case "", "consistency=default" -> Consistency.DEFAULT;
            case "consistency=consistent" -> Consistency.CONSISTENT;
            default -> null;
        };
        if (mode == null) {
            return false;
        }
        if (acl.enabled() && (ctx.raft().state() != RaftState.LEADER || !acl.mayGet(exchange, path.substring(PREFIX.length())))) {
            return false;
        }
        long started = System.nanoTime();
        CompletableFuture<Long> barrier = mode == Consistency.CONSISTENT ? ctx.raft().readIndex() : ctx.raft().leaseRead();
        // Keep the exchange open after the handler returns: it is answered when the barrier is done.
        exchange.dispatch(SameThreadExecutor.INSTANCE, () -> {
            ReadInterest.keepWhileAnswering(exchange);
            // The same limit as the worker path's wait (ApiContext#await), as a timer of the
            // exchange's I/O thread, set and removed there: CompletableFuture.orTimeout's timer
            // (on JDK 25 the common pool's) woke another thread for every read, 4.5 % of the
            // machine during consistent reads through a follower.
            XnioExecutor.Key limit = exchange.getIoThread().executeAfter(
                    () -> barrier.completeExceptionally(new TimeoutException()), ctx.timeout().toMillis() + 1000,
                    TimeUnit.MILLISECONDS);
            barrier.whenComplete((index, error) -> answers.execute(exchange, () -> {
                limit.remove();
                exchange.putAttachment(KvHandler.BARRIER, new KvHandler.PassedBarrier(mode, error));
                serve.accept(exchange, started);
            }));
        });
        return true;
    }
}
