package dev.skiff.transport;

import dev.skiff.raft.MessageHandler;
import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.RaftMessage;
import io.undertow.io.IoCallback;
import io.undertow.io.Receiver;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.HttpContinue;
import io.undertow.util.AttachmentKey;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import io.undertow.util.SameThreadExecutor;
import io.undertow.util.StatusCodes;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The raft port's Undertow handler: checks the cluster secret, routes, decodes and hands
 * messages to the {@link MessageHandler}.
 *
 * <ul>
 *   <li>{@value #STREAM_PATH}: what senders use. A chunked body of frames that lasts as long as
 *       the sender's connection; each frame is handed on as soon as it is in, none is answered
 *       (see {@link #receiveStream}).</li>
 *   <li>{@value #MESSAGE_PATH}: body = one {@link MessageCodec} message. Read with the
 *       non-blocking receiver on the I/O thread, decoded, given to
 *       {@link MessageHandler#onMessage} (which only queues), answered 204.</li>
 *   <li>{@value #BATCH_PATH}: body = {@code i32 count}, then per message {@code i32 length}
 *       and that many bytes of one {@link MessageCodec} message; what nodes before streams
 *       send, and what a sender sends to such a node.</li>
 *   <li>{@value #SNAPSHOT_PATH}: body = {@code i32 length}, that many bytes of a
 *       {@link MessageCodec}-encoded {@link InstallSnapshot}, then the snapshot's data (sent
 *       chunked). Dispatched to a worker thread, which streams the data into
 *       {@link MessageHandler#onSnapshot} and answers 204 once it returns, 500 if it throws.</li>
 * </ul>
 * With a {@link ClusterSecret}, {@value #AUTH_PATH} runs its handshake, and every other request
 * needs an authenticated connection and the next counter with a MAC over its body (see
 * {@link ClusterSecret}); the MAC is checked before the body is decoded.
 * Refusals change nothing and reach no handler: 401 without the cluster secret's proof (checked
 * before anything else, so a stranger learns nothing about paths; the connection is closed), 404 for another path, 405
 * for another method, 400 for a body that does not decode, 413 for a message body over the
 * limit. The path carries the wire version ({@code v1}), like the codec's version byte.
 *
 * <p>Threading: {@link #handleRequest} runs on an I/O thread and never blocks it.
 */
final class RaftRpcHandler implements HttpHandler {

    static final String MESSAGE_PATH = "/raft/v1/message";
    static final String BATCH_PATH = "/raft/v1/messages";
    static final String STREAM_PATH = "/raft/v1/stream";
    static final String SNAPSHOT_PATH = "/raft/v1/snapshot";
    /** The cluster-secret handshake ({@link ClusterSecret}); exists only when a secret is configured. */
    static final String AUTH_PATH = "/raft/v1/auth";
    private static final AttachmentKey<Handshake> HANDSHAKE = AttachmentKey.create(Handshake.class);
    private static final AttachmentKey<ClusterSecret.Session> SESSION = AttachmentKey.create(ClusterSecret.Session.class);
    private static final HttpString AUTH_HEADER = new HttpString(ClusterSecret.HEADER);
    /** The InstallSnapshot header is tiny; 1 MiB leaves room for a configuration of thousands. */
    static final int MAX_SNAPSHOT_HEADER_BYTES = 1 << 20;

    private static final Logger log = LoggerFactory.getLogger(RaftRpcHandler.class);
    private static final long VERSION_WARNING_INTERVAL_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(1);

    private final MessageHandler handler;
    private final Optional<ClusterSecret> secret;
    private final int maxMessageBytes;
    private final AtomicLong refusedRequests = new AtomicLong();
    /** When ({@link System#nanoTime}) a peer of another wire version was last logged; 0 for never. */
    private final AtomicLong lastVersionWarningNanos = new AtomicLong();

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
        String path = exchange.getRequestPath();
        Authenticated auth = null;
        if (secret.isPresent()) {
            if (AUTH_PATH.equals(path)) {
                handshake(exchange, secret.get());
                return;
            }
            auth = authenticated(exchange);
            if (auth == null) {
                return;
            }
        }
        boolean stream = STREAM_PATH.equals(path);
        boolean batch = BATCH_PATH.equals(path);
        boolean message = batch || MESSAGE_PATH.equals(path);
        if (!stream && !message && !SNAPSHOT_PATH.equals(path)) {
            refuse(exchange, StatusCodes.NOT_FOUND, "no such raft endpoint: " + path);
            return;
        }
        if (!Methods.POST.equals(exchange.getRequestMethod())) {
            exchange.getResponseHeaders().put(Headers.ALLOW, "POST");
            refuse(exchange, StatusCodes.METHOD_NOT_ALLOWED, path + " accepts POST only");
            return;
        }
        Authenticated request = auth;
        if (stream) {
            receiveStream(exchange, request);
        } else if (message) {
            receiveMessage(exchange, batch, request);
        } else {
            exchange.dispatch(() -> receiveSnapshot(exchange, request));
        }
    }

    /**
     * The listener's half of {@link ClusterSecret}'s handshake: {@code hello CN} → 200 with
     * {@code challenge SN proof}; {@code prove P} → 204, and the connection is authenticated.
     */
    private void handshake(HttpServerExchange exchange, ClusterSecret secret) {
        if (!Methods.POST.equals(exchange.getRequestMethod())) {
            exchange.setPersistent(false);
            refuse(exchange, StatusCodes.METHOD_NOT_ALLOWED, AUTH_PATH + " accepts POST only");
            return;
        }
        var connection = exchange.getConnection();
        String value = exchange.getRequestHeaders().getFirst(AUTH_HEADER);
        String[] parts = value == null ? new String[0] : value.split(" ");
        if (connection.getAttachment(SESSION) != null) {
            unauthorized(exchange, "this connection is already authenticated");
        } else if (parts.length == 2 && parts[0].equals("hello")) {
            byte[] cn = ClusterSecret.decode(parts[1]);
            if (cn == null || cn.length != ClusterSecret.NONCE_BYTES) {
                unauthorized(exchange, "hello needs a " + ClusterSecret.NONCE_BYTES + "-byte base64url nonce");
                return;
            }
            byte[] sn = ClusterSecret.newNonce();
            connection.putAttachment(HANDSHAKE, new Handshake(cn, sn));
            exchange.getResponseHeaders().put(AUTH_HEADER, "challenge " + ClusterSecret.encode(sn) + " "
                    + ClusterSecret.encode(secret.listenerProof(cn, sn)));
            exchange.setStatusCode(StatusCodes.OK);
            exchange.endExchange();
        } else if (parts.length == 2 && parts[0].equals("prove")) {
            // One attempt per challenge: whatever happens, the pending handshake is gone.
            Handshake pending = connection.removeAttachment(HANDSHAKE);
            if (pending == null) {
                unauthorized(exchange, "prove without a hello on this connection");
            } else if (!ClusterSecret.same(secret.diallerProof(pending.cn(), pending.sn()), ClusterSecret.decode(parts[1]))) {
                unauthorized(exchange, "wrong cluster-secret proof");
            } else {
                connection.putAttachment(SESSION, secret.session(pending.cn(), pending.sn()));
                exchange.setStatusCode(StatusCodes.NO_CONTENT);
                exchange.endExchange();
            }
        } else {
            unauthorized(exchange, "expected " + ClusterSecret.HEADER + ": hello NONCE or prove PROOF");
        }
    }

    /**
     * The counter and MAC of a request on an authenticated connection, the counter already
     * checked; or null after refusing the request.
     */
    private Authenticated authenticated(HttpServerExchange exchange) {
        ClusterSecret.Session session = exchange.getConnection().getAttachment(SESSION);
        if (session == null) {
            unauthorized(exchange, "connection not authenticated: run the cluster-secret handshake (POST " + AUTH_PATH + ") first");
            return null;
        }
        String value = exchange.getRequestHeaders().getFirst(AUTH_HEADER);
        int space = value == null ? -1 : value.indexOf(' ');
        long counter;
        byte[] mac;
        try {
            counter = space < 0 ? -1 : Long.parseLong(value, 0, space, 10);
            mac = space < 0 ? null : ClusterSecret.decode(value.substring(space + 1));
        } catch (NumberFormatException e) {
            counter = -1;
            mac = null;
        }
        if (mac == null) {
            unauthorized(exchange, "missing or malformed " + ClusterSecret.HEADER + " (COUNTER MAC)");
            return null;
        }
        if (!session.isNext(counter)) {
            unauthorized(exchange, "request counter " + counter + " is not the next on this connection (a replay?)");
            return null;
        }
        return new Authenticated(session, counter, mac);
    }

    /** Whether the request's MAC covers these bytes; refuses it (401, connection closed) if not. */
    private boolean verified(HttpServerExchange exchange, Authenticated auth, byte[] covered, int offset, int length) {
        if (auth == null) {
            return true;
        }
        synchronized (auth.session()) {
            byte[] expected = auth.session().mac(auth.counter(), exchange.getRequestMethod().toString(),
                    exchange.getRequestPath(), covered, offset, length);
            if (ClusterSecret.same(expected, auth.mac()) && auth.session().isNext(auth.counter())) {
                auth.session().accept(auth.counter());
                return true;
            }
        }
        exchange.getConnection().removeAttachment(SESSION);
        unauthorized(exchange, "request MAC does not match its body");
        return false;
    }

    private void unauthorized(HttpServerExchange exchange, String reason) {
        // Close rather than drain whatever body a stranger sends; the connection's session ends with it.
        exchange.setPersistent(false);
        refuse(exchange, StatusCodes.UNAUTHORIZED, reason);
    }

    /** A handshake between hello and prove: the dialler's and this listener's nonces. */
    private record Handshake(byte[] cn, byte[] sn) {
    }

    /** A request's counter and MAC, to verify once its covered bytes are read. */
    private record Authenticated(ClusterSecret.Session session, long counter, byte[] mac) {
    }

    private void receiveMessage(HttpServerExchange exchange, boolean batch, Authenticated auth) {
        if (exchange.getRequestContentLength() > maxMessageBytes) {
            tooLarge(exchange);
            return;
        }
        Receiver receiver = exchange.getRequestReceiver();
        receiver.setMaxBufferSize(maxMessageBytes);
        receiver.receiveFullBytes((ex, body) -> {
            if (verified(ex, auth, body, 0, body.length)) {
                deliver(ex, body, batch);
            }
        }, (ex, e) -> {
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
            refuseMalformed(exchange, e);
            return;
        }
        if (handOn(exchange, messages)) {
            exchange.setStatusCode(StatusCodes.NO_CONTENT);
            exchange.endExchange();
        }
    }

    /** Gives each message to the handler; false after answering 500 if the handler threw. */
    private boolean handOn(HttpServerExchange exchange, java.util.List<RaftMessage> messages) {
        for (RaftMessage message : messages) {
            try {
                handler.onMessage(message);
            } catch (RuntimeException e) {
                log.error("raft message handler failed on a message from {}", message.from(), e);
                exchange.setPersistent(false);
                fail(exchange, StatusCodes.INTERNAL_SERVER_ERROR, "handler failed: " + e);
                return false;
            }
        }
        return true;
    }

    /**
     * A message stream: answers {@code 100 Continue} (the sender waits for it, so a node
     * without streams can say 404 before any frame is sent), then reads frames on the I/O
     * thread as they arrive and hands each one's messages on. The head's MAC (with a cluster
     * secret) covers an empty body; each frame carries its own counter and MAC. Nothing is
     * answered while the stream runs; a bad frame ends it with 401, 400 or 413 and the
     * connection is closed, without anything of that frame (or later ones) handed on.
     */
    private void receiveStream(HttpServerExchange exchange, Authenticated auth) {
        if (!verified(exchange, auth, new byte[0], 0, 0)) {
            return;
        }
        FrameReader frames = new FrameReader(auth == null ? null : auth.session());
        exchange.dispatch(SameThreadExecutor.INSTANCE, () -> {
            if (HttpContinue.requiresContinueResponse(exchange)) {
                HttpContinue.sendContinueResponse(exchange, new IoCallback() {
                    @Override
                    public void onComplete(HttpServerExchange ex, io.undertow.io.Sender sender) {
                        readFrames(ex, frames);
                    }

                    @Override
                    public void onException(HttpServerExchange ex, io.undertow.io.Sender sender, IOException e) {
                        log.debug("raft stream from {} broke before it started: {}", ex.getSourceAddress(), e.toString());
                        ex.setPersistent(false);
                        ex.endExchange();
                    }
                });
            } else {
                readFrames(exchange, frames);
            }
        });
    }

    private void readFrames(HttpServerExchange exchange, FrameReader frames) {
        exchange.getRequestReceiver().receivePartialBytes((ex, bytes, last) -> {
            if (frames.ended) {
                return;
            }
            try {
                frames.add(bytes);
                for (java.util.List<RaftMessage> batch; (batch = frames.next()) != null; ) {
                    if (!handOn(ex, batch)) {
                        frames.ended = true;
                        return;
                    }
                }
            } catch (FrameRefusedException e) {
                frames.ended = true;
                if (e.status == StatusCodes.UNAUTHORIZED) {
                    unauthorized(ex, e.getMessage());
                } else {
                    ex.setPersistent(false);
                    refuse(ex, e.status, e.getMessage());
                }
                return;
            } catch (MalformedMessageException e) {
                frames.ended = true;
                ex.setPersistent(false);
                refuseMalformed(ex, e);
                return;
            }
            if (last) {
                frames.ended = true;
                if (frames.buffered() > 0) {
                    refuse(ex, StatusCodes.BAD_REQUEST, "raft stream ends inside a frame (" + frames.buffered()
                            + " bytes of it)");
                } else {
                    ex.setStatusCode(StatusCodes.NO_CONTENT);
                    ex.endExchange();
                }
            }
        }, (ex, e) -> {
            // The sender closed the connection (it stopped, or restarted): the normal end of a stream.
            log.debug("raft stream from {} ended: {}", ex.getSourceAddress(), e.toString());
            ex.setPersistent(false);
            ex.endExchange();
        });
    }

    /** A frame that ends its stream: the status to answer and why. */
    private static final class FrameRefusedException extends RuntimeException {
        final int status;

        FrameRefusedException(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    /**
     * Cuts a stream's bytes into frames: {@code [i64 counter, 32-byte MAC]} (with a cluster
     * secret) {@code i32 length}, then {@code length} bytes of a {@link MessageCodec} batch. The
     * MAC is checked before the frame is returned. Used by one stream's I/O thread only.
     */
    private final class FrameReader {
        private final ClusterSecret.Session session;
        private final int headerBytes;
        private byte[] buffer = new byte[8 * 1024];
        private int start;
        private int end;
        boolean ended;

        FrameReader(ClusterSecret.Session session) {
            this.session = session;
            this.headerBytes = (session == null ? 0 : Long.BYTES + ClusterSecret.MAC_BYTES) + Integer.BYTES;
        }

        int buffered() {
            return end - start;
        }

        void add(byte[] bytes) {
            if (end + bytes.length > buffer.length) {
                int kept = end - start;
                byte[] into = kept + bytes.length > buffer.length
                        ? new byte[Math.max(buffer.length * 2, kept + bytes.length)] : buffer;
                System.arraycopy(buffer, start, into, 0, kept);
                buffer = into;
                start = 0;
                end = kept;
            }
            System.arraycopy(bytes, 0, buffer, end, bytes.length);
            end += bytes.length;
        }

        /**
         * The messages of the next whole frame, MAC checked and decoded in place; null if it is
         * not all in yet.
         *
         * @throws FrameRefusedException     for a frame length outside the limit, a replayed
         *                                   counter or a MAC that does not match
         * @throws MalformedMessageException for a batch that does not decode
         */
        java.util.List<RaftMessage> next() {
            if (end - start < headerBytes) {
                return null;
            }
            ByteBuffer header = ByteBuffer.wrap(buffer, start, headerBytes);
            long counter = session == null ? 0 : header.getLong();
            byte[] mac = null;
            if (session != null) {
                mac = new byte[ClusterSecret.MAC_BYTES];
                header.get(mac);
            }
            int length = header.getInt();
            if (length < 1 || length > maxMessageBytes) {
                throw new FrameRefusedException(length < 1 ? StatusCodes.BAD_REQUEST : StatusCodes.REQUEST_ENTITY_TOO_LARGE,
                        "raft stream frame length " + length + " is outside 1.." + maxMessageBytes);
            }
            if (end - start < headerBytes + length) {
                return null;
            }
            int at = start + headerBytes;
            if (session != null) {
                synchronized (session) {
                    if (!session.isNext(counter)) {
                        throw new FrameRefusedException(StatusCodes.UNAUTHORIZED, "stream frame counter " + counter
                                + " is not the next on this connection (a replay?)");
                    }
                    if (!ClusterSecret.same(session.mac(counter, "POST", STREAM_PATH, buffer, at, length), mac)) {
                        throw new FrameRefusedException(StatusCodes.UNAUTHORIZED, "stream frame MAC does not match its bytes");
                    }
                    session.accept(counter);
                }
            }
            java.util.List<RaftMessage> batch = MessageCodec.decodeBatch(buffer, at, length);
            start = at + length;
            if (start == end) {
                start = 0;
                end = 0;
            }
            return batch;
        }
    }

    /** Runs on a worker thread: the only place here that blocks. */
    private void receiveSnapshot(HttpServerExchange exchange, Authenticated auth) {
        exchange.startBlocking();
        InputStream body = exchange.getInputStream();
        InstallSnapshot header;
        try {
            byte[] preamble = readSnapshotPreamble(body);
            if (!verified(exchange, auth, preamble, 0, preamble.length)) {
                return;
            }
            header = decodeSnapshotHeader(preamble);
        } catch (MalformedMessageException e) {
            refuseMalformed(exchange, e);
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

    /** The 4-byte length and the encoded InstallSnapshot: what a snapshot request's MAC covers. */
    private static byte[] readSnapshotPreamble(InputStream body) throws IOException {
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
        byte[] preamble = new byte[4 + length];
        ByteBuffer.wrap(preamble).putInt(length);
        int read = in.readNBytes(preamble, 4, length);
        if (read < length) {
            throw new MalformedMessageException("snapshot request ends inside its header: " + read
                    + " of " + length + " bytes");
        }
        return preamble;
    }

    private static InstallSnapshot decodeSnapshotHeader(byte[] preamble) throws MalformedMessageException {
        if (MessageCodec.decode(java.util.Arrays.copyOfRange(preamble, 4, preamble.length)) instanceof InstallSnapshot header) {
            return header;
        }
        throw new MalformedMessageException("snapshot request header is not an InstallSnapshot message");
    }

    private void tooLarge(HttpServerExchange exchange) {
        // The unread rest of the body would have to be drained; closing is cheaper and safer.
        exchange.setPersistent(false);
        refuse(exchange, StatusCodes.REQUEST_ENTITY_TOO_LARGE, "raft message larger than " + maxMessageBytes + " bytes");
    }

    /**
     * Refuses a body that does not decode. A peer of another wire version needs an operator (it
     * replicates with this node only once both run one version), so that is a warning, at most
     * one a minute; other garbage is logged only at debug, where a stranger's bytes cannot flood
     * the log.
     */
    private void refuseMalformed(HttpServerExchange exchange, MalformedMessageException e) {
        if (e instanceof UnsupportedWireVersionException) {
            long now = System.nanoTime();
            long last = lastVersionWarningNanos.get();
            if ((last == 0 || now - last >= VERSION_WARNING_INTERVAL_NANOS) && lastVersionWarningNanos.compareAndSet(last, now)) {
                log.warn("raft messages from {} refused: {}. Nodes of different wire versions do not replicate to each "
                        + "other: upgrade one node at a time until all run one release (docs/API.md section 4)",
                        exchange.getSourceAddress(), e.getMessage());
            }
        }
        refuse(exchange, StatusCodes.BAD_REQUEST, e.getMessage());
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
