package dev.skiff.api;

import io.undertow.server.AbstractServerConnection;
import io.undertow.server.HttpServerExchange;

/**
 * Keeps a connection registered for reads while its request is answered in a later turn of the
 * I/O thread's select loop (an applied write, a passed read barrier).
 *
 * <p>Why: Undertow suspends reads on a connection once it has parsed a request, and resumes them
 * when the response is complete. When the answer comes in a later turn, each of the two changes
 * reaches the kernel as an {@code epoll_ctl} call: two of the seven or so system calls a write
 * through the API cost, about 15 % of the API I/O threads' samples under load. A client that waits
 * for each answer before it sends the next request (HTTP/1.1 without pipelining: wrk, load
 * balancers, Skiff's own client) sends nothing meanwhile, so the registration may stay as it was:
 * resumed in the same turn as the suspend, neither change reaches the kernel, nor does the resume
 * at the end of the exchange. If bytes do arrive early (a pipelining client, or the client
 * closing), XNIO finds no read listener on the connection and suspends reads, the state Undertow
 * left them in, and the next request is read when this one is answered, as without this.
 */
final class ReadInterest {

    private ReadInterest() {
    }

    /**
     * Keeps {@code exchange}'s connection registered for reads. Only on the exchange's I/O
     * thread, in the turn that read the whole request, before the handler returns to the
     * select loop: then nothing listens for reads on the connection (a listener that ignored
     * readiness would spin), and the suspend it undoes has not reached the kernel yet.
     */
    static void keepWhileAnswering(HttpServerExchange exchange) {
        if (exchange.getConnection() instanceof AbstractServerConnection connection) {
            connection.getOriginalSourceConduit().resumeReads();
        }
    }
}
