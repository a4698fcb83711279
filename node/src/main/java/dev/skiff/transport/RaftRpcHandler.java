package dev.skiff.transport;

import dev.skiff.raft.MessageHandler;
import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.RaftMessage;
import io.undertow.io.Receiver;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import io.undertow.util.StatusCodes;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The raft port's Undertow handler: checks the cluster secret, routes, decodes and hands
 * messages to the {@link MessageHandler}.
 *
 * <ul>
 *   <li>{@value #MESSAGE_PATH}: body = one {@link MessageCodec} message. Read with the
 *       non-blocking receiver on the I/O thread, decoded, given to
 *       {@link MessageHandler#onMessage} (which only queues), answered 204.</li>
 *   <li>{@value #BATCH_PATH}: body = {@code i32 count}, then per message {@code i32 length}
 *       and that many bytes of one {@link MessageCodec} message; what senders use.</li>
 *   <li>{@value #SNAPSHOT_PATH}: body = {@code i32 length}, that many bytes of a
 *       {@link MessageCodec}-encoded {@link InstallSnapshot}, then the snapshot's data (sent
 *       chunked). Dispatched to a worker thread, which streams the data into
 *       {@link MessageHandler#onSnapshot} and answers 204 once it returns, 500 if it throws.</li>
 * </ul>
 * Refusals change nothing and reach no handler: 401 without the cluster secret (checked
 * before anything else, so a stranger learns nothing about paths), 404 for another path, 405
 * for another method, 400 for a body that does not decode, 413 for a message body over the
 * limit. The path carries the wire version ({@code v1}), like the codec's version byte.
 *
 * <p>Threading: {@link #handleRequest} runs on an I/O thread and never blocks it.
 */
final class RaftRpcHandler implements HttpHandler {

    static final String MESSAGE_PATH = "/raft/v1/message";
    static final String BATCH_PATH = "/raft/v1/messages";
    static final String SNAPSHOT_PATH = "/raft/v1/snapshot";
    /** The InstallSnapshot header is tiny; 1 MiB leaves room for a configuration of thousands. */
    static final int MAX_SNAPSHOT_HEADER_BYTES = 1 << 20;

    private static final Logger log = LoggerFactory.getLogger(RaftRpcHandler.class);

    private final MessageHandler handler;
    private final Optional<ClusterSecret> secret;
    private final int maxMessageBytes;
    private final AtomicLong refusedRequests = new AtomicLong();

    RaftRpcHandler(MessageHandler handler, Optional<ClusterSecret> secret, int maxMessageBytes) {
        this.handler = handler;
        this.secret = secret;
        this.maxMessageBytes = maxMessageBytes;
    }

    /** Requests answered with a 4xx status since start. */
    long refusedRequests() {
        return refusedRequests.get();
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) {
        if (secret.isPresent() && !secret.get().matches(exchange.getRequestHeaders().getFirst(ClusterSecret.HEADER))) {
            // Close rather than drain whatever body a stranger sends.
            exchange.setPersistent(false);
            refuse(exchange, StatusCodes.UNAUTHORIZED, "missing or wrong " + ClusterSecret.HEADER);
            return;
        }
        String path = exchange.getRequestPath();
        boolean batch = BATCH_PATH.equals(path);
        boolean message = batch || MESSAGE_PATH.equals(path);
        if (!message && !SNAPSHOT_PATH.equals(path)) {
            refuse(exchange, StatusCodes.NOT_FOUND, "no such raft endpoint: " + path);
            return;
        }
        if (!Methods.POST.equals(exchange.getRequestMethod())) {
            exchange.getResponseHeaders().put(Headers.ALLOW, "POST");
            refuse(exchange, StatusCodes.METHOD_NOT_ALLOWED, path + " accepts POST only");
            return;
        }
        if (message) {
            receiveMessage(exchange, batch);
        } else {
            exchange.dispatch(() -> receiveSnapshot(exchange));
        }
    }

    private void receiveMessage(HttpServerExchange exchange, boolean batch) {
        if (exchange.getRequestContentLength() > maxMessageBytes) {
            tooLarge(exchange);
            return;
        }
        Receiver receiver = exchange.getRequestReceiver();
        receiver.setMaxBufferSize(maxMessageBytes);
        receiver.receiveFullBytes((ex, body) -> deliver(ex, body, batch), (ex, e) -> {
            if (e instanceof Receiver.RequestToLargeException) {
                tooLarge(ex);
            } else {
                // The connection broke mid-body; nobody is left to answer.
                log.debug("raft request body from {} failed: {}", ex.getSourceAddress(), e.toString());
                ex.setPersistent(false);
                ex.endExchange();
            }
        });
    }

    private void deliver(HttpServerExchange exchange, byte[] body, boolean batch) {
        java.util.List<RaftMessage> messages;
        try {
            // A batch is decoded whole before any of it is delivered: garbage changes nothing.
            messages = batch ? MessageCodec.decodeBatch(body) : java.util.List.of(MessageCodec.decode(body));
        } catch (MalformedMessageException e) {
            refuse(exchange, StatusCodes.BAD_REQUEST, e.getMessage());
            return;
        }
        for (RaftMessage message : messages) {
            try {
                handler.onMessage(message);
            } catch (RuntimeException e) {
                log.error("raft message handler failed on a message from {}", message.from(), e);
                fail(exchange, StatusCodes.INTERNAL_SERVER_ERROR, "handler failed: " + e);
                return;
            }
        }
        exchange.setStatusCode(StatusCodes.NO_CONTENT);
        exchange.endExchange();
    }

    /** Runs on a worker thread: the only place here that blocks. */
    private void receiveSnapshot(HttpServerExchange exchange) {
        exchange.startBlocking();
        InputStream body = exchange.getInputStream();
        InstallSnapshot header;
        try {
            header = readSnapshotHeader(body);
        } catch (MalformedMessageException e) {
            refuse(exchange, StatusCodes.BAD_REQUEST, e.getMessage());
            return;
        } catch (IOException e) {
            log.debug("snapshot request from {} broke off in its header: {}", exchange.getSourceAddress(), e.toString());
            exchange.setPersistent(false);
            exchange.endExchange();
            return;
        }
        long size = header.dataBytes();
        InputStream data = size >= 0 ? new ExactLengthInputStream(body, size) : body;
        try {
            handler.onSnapshot(header, data);
        } catch (IOException | RuntimeException e) {
            log.warn("could not receive snapshot {} from {}: {}", header.meta().id(), header.from(), e.toString());
            exchange.setPersistent(false);
            fail(exchange, StatusCodes.INTERNAL_SERVER_ERROR, "snapshot not stored: " + e);
            return;
        }
        exchange.setStatusCode(StatusCodes.NO_CONTENT);
        exchange.endExchange();
    }

    private static InstallSnapshot readSnapshotHeader(InputStream body) throws IOException {
        var in = new DataInputStream(body);
        int length;
        try {
            length = in.readInt();
        } catch (EOFException e) {
            throw new MalformedMessageException("snapshot request ends before its 4-byte header length");
        }
        if (length < 1 || length > MAX_SNAPSHOT_HEADER_BYTES) {
            throw new MalformedMessageException("snapshot header length " + length + " is outside 1.."
                    + MAX_SNAPSHOT_HEADER_BYTES);
        }
        byte[] bytes = in.readNBytes(length);
        if (bytes.length < length) {
            throw new MalformedMessageException("snapshot request ends inside its header: " + bytes.length
                    + " of " + length + " bytes");
        }
        if (MessageCodec.decode(bytes) instanceof InstallSnapshot header) {
            return header;
        }
        throw new MalformedMessageException("snapshot request header is not an InstallSnapshot message");
    }

    private void tooLarge(HttpServerExchange exchange) {
        // The unread rest of the body would have to be drained; closing is cheaper and safer.
        exchange.setPersistent(false);
        refuse(exchange, StatusCodes.REQUEST_ENTITY_TOO_LARGE, "raft message larger than " + maxMessageBytes + " bytes");
    }

    private void refuse(HttpServerExchange exchange, int status, String reason) {
        refusedRequests.incrementAndGet();
        log.debug("refused raft request {} {} from {}: {} {}", exchange.getRequestMethod(), exchange.getRequestPath(),
                exchange.getSourceAddress(), status, reason);
        fail(exchange, status, reason);
    }

    private static void fail(HttpServerExchange exchange, int status, String reason) {
        if (exchange.isResponseStarted()) {
            // The connection broke while the exchange was already answering or closing.
            exchange.setPersistent(false);
            exchange.endExchange();
            return;
        }
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; charset=utf-8");
        exchange.getResponseSender().send(reason + "\n");
    }
}
