package dev.skiff.transport;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One keep-alive HTTP/1.1 connection to a peer's raft port, used by one thread at a time: either
 * a message stream ({@link #openStream}, then {@link #writeFrame} for each batch, one system call
 * each and no answer to read; without TLS also {@link #tryWriteFrame}, which never blocks), or
 * requests ({@link #post} writes a request in one system call and reads the answer on the
 * calling thread; for peers without streams), or a snapshot ({@link #postStream}).
 *
 * <p>Why not the JDK's {@code HttpClient}: each of its asynchronous requests passes through
 * its selector thread and a chain of futures on the way out and again on the way back, which
 * measured about 280 µs per one-way message on loopback and the largest share of a node's CPU
 * under write load. A blocking socket written by the sending thread and read by the same
 * thread is one system call each way, with {@code TCP_NODELAY} so a small message leaves at
 * once. Only what the raft port answers needs to be understood: a status line, headers, and a
 * body of {@code Content-Length} bytes or chunked (refusals carry a short text); anything else
 * closes the connection.
 *
 * <p><b>Security.</b> With TLS, the connection is a TLS socket that presents this node's
 * certificate and checks that the peer's certificate chains to the CA and names the address
 * dialled (its SAN, as HTTPS does). With a {@link ClusterSecret}, a new connection first runs
 * the secret's handshake (the peer proves itself before anything derived from the secret is
 * sent; see there), then every request carries its counter and MAC. Both may be on at once.
 *
 * <p>An idle connection older than {@link #MAX_IDLE_NANOS} is replaced before use: the server
 * closes idle connections after two minutes, and a request must not race that close. A kept
 * connection that turns out closed (the server may close after an answer without announcing
 * it) is replaced and the request sent once more.
 *
 * <p>Not thread-safe: owned by one sender at a time. {@link #close} and {@link #abort} may be
 * called from any thread to end a request or write in progress.
 */
final class PeerConnection implements AutoCloseable {

    /** Well under the server's two-minute idle timeout. */
    static final long MAX_IDLE_NANOS = 30_000_000_000L;
    private static final int MAX_HEADER_LINE = 8 * 1024;
    private static final int MAX_ERROR_BODY = 64 * 1024;
    /** How much of a refusal's body is kept for {@link #lastBody()}. */
    private static final int KEPT_BODY_BYTES = 1024;
    /** Room before a batch for a frame's chunk size line (8 hex digits and CRLF), counter, MAC and length. */
    static final int FRAME_HEADROOM = 10 + Long.BYTES + ClusterSecret.MAC_BYTES + Integer.BYTES;
    /** Room after a batch for its chunk's CRLF. */
    static final int FRAME_TAILROOM = 2;

    private final HostPort target;
    private final String path;
    private final byte[] requestHead;
    private final Optional<ClusterSecret> secret;
    private final Optional<SSLContext> tls;
    private final int connectTimeoutMillis;
    private final int requestTimeoutMillis;
    private volatile Socket socket;
    /** The TCP socket under {@link #socket} (the same one without TLS): closing it aborts a blocked TLS write too. */
    private volatile Socket rawSocket;
    /**
     * Without TLS, the channel of {@link #socket}: non-blocking while a stream is open, so that
     * {@link #tryWriteFrame} never waits (see there). Null with TLS.
     */
    private SocketChannel channel;
    /** The path of the stream open on this connection, or null. */
    private String streamPath;
    private OutputStream out;
    private InputStream in;
    private ClusterSecret.Session session;
    private long lastUsedNanos;
    private volatile boolean closed;
    private String lastAuthHeader;
    private final ByteArrayOutputStream lastBody = new ByteArrayOutputStream();

    /**
     * @param path   the request path of {@link #post}
     * @param secret the cluster secret, if any
     * @param tls    the TLS context (this node's certificate and the CA), if the raft port speaks TLS
     */
    PeerConnection(HostPort target, String path, Optional<ClusterSecret> secret, Optional<SSLContext> tls,
                   int connectTimeoutMillis, int requestTimeoutMillis) {
        this.target = target;
        this.path = path;
        this.secret = secret;
        this.tls = tls;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.requestTimeoutMillis = requestTimeoutMillis;
        this.requestHead = head("POST", path, "Content-Type: application/octet-stream\r\n");
    }

    private byte[] head(String method, String requestPath, String extra) {
        return (method + " " + requestPath + " HTTP/1.1\r\nHost: " + target + "\r\n" + extra)
                .getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Sends {@code body} and waits for the answer.
     *
     * @return the HTTP status
     * @throws IOException on any connection failure: {@link java.net.ConnectException} or a
     *                     {@link java.net.SocketTimeoutException} when the peer is down or
     *                     hung, {@link SSLException} when its certificate is not acceptable
     *                     (or it refuses ours), {@link PeerNotAuthenticException} when it does
     *                     not prove the cluster secret, others when the connection broke
     */
    int post(byte[] body) throws IOException {
        if (closed) {
            throw new IOException("raft connection to " + target + " is closed");
        }
        if (socket != null && System.nanoTime() - lastUsedNanos > MAX_IDLE_NANOS) {
            disconnect();
        }
        boolean reused = socket != null;
        if (!reused) {
            connect();
        }
        try {
            return exchange(request(body));
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException e) {
            if (!reused || closed) {
                throw e;
            }
            // The server closed the kept-alive connection (it need not say so in its last
            // answer): try once on a fresh one. Should the first copy have arrived after all,
            // the peer gets the messages twice, which Raft tolerates.
            connect();
            return exchange(request(body));
        }
    }

    /**
     * Starts a raft stream on a fresh connection: the request head of a chunked POST to
     * {@code streamPath} with {@code Expect: 100-continue} (and, with a cluster secret, the
     * head's counter and MAC over an empty body), then waits for the peer's {@code 100
     * Continue}. From then on {@link #writeFrame} sends frames on it until it is closed; the
     * peer answers nothing more unless it refuses a frame.
     *
     * @throws StreamRefusedException when the peer answers with a final status instead (404
     *                                from a node that predates streams)
     * @throws IOException            as {@link #post} does
     */
    void openStream(String streamPath) throws IOException {
        if (closed) {
            throw new IOException("raft connection to " + target + " is closed");
        }
        disconnect();
        connect();
        StringBuilder extra = new StringBuilder("Content-Type: application/octet-stream\r\n");
        if (session != null) {
            extra.append(ClusterSecret.HEADER).append(": ")
                    .append(session.header(session.nextCounter(), "POST", streamPath, new byte[0], 0, 0)).append("\r\n");
        }
        extra.append("Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n");
        try {
            out.write(head("POST", streamPath, extra.toString()));
            out.flush();
            int status = readResponse();
            if (status != 100) {
                disconnect();
                throw new StreamRefusedException(target, status, lastBody());
            }
        } catch (IOException | RuntimeException e) {
            disconnect();
            throw e;
        }
        // Frames are written whole (one system call each) and the peer answers none of them.
        socket.setSoTimeout(0);
        if (channel != null) {
            try {
                channel.configureBlocking(false);
            } catch (IOException | RuntimeException e) {
                disconnect();
                throw e;
            }
        }
        this.streamPath = streamPath;
    }

    /** Whether {@link #openStream} succeeded on the current connection and nothing failed since. */
    boolean streaming() {
        return streamPath != null && socket != null;
    }

    /**
     * Whether {@link #tryWriteFrame} may be called: a stream is open on a connection without TLS
     * (a TLS socket has no write that cannot block).
     */
    boolean writesWithoutBlocking() {
        return streaming() && channel != null;
    }

    /**
     * Writes one frame on the open stream in one system call: a chunk holding {@code i32 length}
     * and the batch, preceded with a cluster secret by {@code i64 counter} and the 32-byte MAC
     * {@code HMAC(K, counter ‖ "POST" ‖ path ‖ batch)}. The batch is {@code frame[FRAME_HEADROOM,
     * FRAME_HEADROOM + length)} ({@link MessageCodec#encodeBatch(java.util.List, int, int)} with
     * {@link #FRAME_HEADROOM} and {@link #FRAME_TAILROOM}); the chunk's header and trailer are
     * written around it in place. Blocks only while the socket's send buffer is full; {@link
     * #abort} ends such a wait from another thread.
     *
     * @throws IOException when the connection broke (the frame may be lost); the stream is closed then
     */
    void writeFrame(byte[] frame, int length) throws IOException {
        if (writesWithoutBlocking()) {
            ByteBuffer rest = tryWriteFrame(frame, length);
            if (rest != null) {
                finishFrame(rest);
            }
            return;
        }
        if (!streaming()) {
            throw new IOException("no raft stream open to " + target);
        }
        int start = frameStart(frame, length);
        try {
            socket.getOutputStream().write(frame, start, FRAME_HEADROOM - start + length + CRLF.length);
        } catch (IOException | RuntimeException e) {
            disconnect();
            throw e;
        }
    }

    /**
     * Writes as much of one frame (as {@link #writeFrame} lays it out) as the socket's send
     * buffer takes now, without waiting: only if {@link #writesWithoutBlocking}. This is what lets
     * the raft loop write a batch itself when the lane's sender is idle, instead of waking the
     * sender thread for it: a peer that stopped reading cannot hold up the loop.
     *
     * @return null if the whole frame was written, else the bytes still to write, which must be
     *         written ({@link #finishFrame}) before anything else is written on this stream
     * @throws IOException when the connection broke (the frame may be lost); the stream is closed then
     */
    ByteBuffer tryWriteFrame(byte[] frame, int length) throws IOException {
        if (!writesWithoutBlocking()) {
            throw new IOException("no raft stream without TLS open to " + target);
        }
        int start = frameStart(frame, length);
        ByteBuffer bytes = ByteBuffer.wrap(frame, start, FRAME_HEADROOM - start + length + CRLF.length);
        try {
            while (bytes.hasRemaining() && channel.write(bytes) > 0) {
                // Loopback and LAN sockets take a whole frame at once unless their buffer is full.
            }
        } catch (IOException | RuntimeException e) {
            disconnect();
            throw e;
        }
        return bytes.hasRemaining() ? bytes : null;
    }

    /**
     * Writes the rest of a frame that {@link #tryWriteFrame} could not write whole, waiting as long
     * as the socket's send buffer stays full; {@link #abort} ends that wait from another thread.
     *
     * @throws IOException when the connection broke (the frame is lost); the stream is closed then
     */
    void finishFrame(ByteBuffer rest) throws IOException {
        if (!writesWithoutBlocking()) {
            throw new IOException("no raft stream without TLS open to " + target);
        }
        try {
            // Blocking for the rest only: the channel is registered with no selector, so the mode can change.
            channel.configureBlocking(true);
            while (rest.hasRemaining()) {
                channel.write(rest);
            }
            channel.configureBlocking(false);
        } catch (IOException | RuntimeException e) {
            disconnect();
            throw e;
        }
    }

    /** Lays the chunk header (and with a secret the counter and MAC) and trailer around the batch; returns the frame's first byte. */
    private int frameStart(byte[] frame, int length) {
        int prefix = (session == null ? 0 : Long.BYTES + ClusterSecret.MAC_BYTES) + Integer.BYTES;
        byte[] size = (Integer.toHexString(prefix + length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        int start = FRAME_HEADROOM - prefix - size.length;
        ByteBuffer header = ByteBuffer.wrap(frame, start, FRAME_HEADROOM - start);
        header.put(size);
        if (session != null) {
            long counter = session.nextCounter();
            header.putLong(counter);
            header.put(session.mac(counter, "POST", streamPath, frame, FRAME_HEADROOM, length));
        }
        header.putInt(length);
        System.arraycopy(CRLF, 0, frame, FRAME_HEADROOM + length, CRLF.length);
        return start;
    }

    /** Drops the current connection; the next use opens a new one. Only while no thread uses this connection. */
    void drop() {
        disconnect();
    }

    /**
     * Closes the socket under a write that is blocked (a peer that stopped reading): the writer
     * gets an IOException. Unlike {@link #close}, the connection may be opened again.
     */
    void abort() {
        Socket s = rawSocket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // The writer learns of it from its failed write.
            }
        }
    }

    /**
     * Sends a streamed request on a fresh connection: {@code preamble}, then {@code data}
     * (chunked), and waits up to {@code timeoutMillis} for the answer. The MAC (in secret mode)
     * covers the preamble. When {@code expected >= 0} and the data holds another number of
     * bytes, the connection is cut (the body never ends cleanly) and an IOException says so.
     *
     * @return the HTTP status; {@link #lastBody()} has the start of the answer's body
     */
    int postStream(String streamPath, byte[] preamble, InputStream data, long expected, int timeoutMillis,
                   String what) throws IOException {
        if (closed) {
            throw new IOException("raft connection to " + target + " is closed");
        }
        disconnect();
        connect();
        socket.setSoTimeout(timeoutMillis);
        StringBuilder extra = new StringBuilder("Content-Type: application/octet-stream\r\n");
        if (session != null) {
            long n = session.nextCounter();
            extra.append(ClusterSecret.HEADER).append(": ")
                    .append(session.header(n, "POST", streamPath, preamble, 0, preamble.length)).append("\r\n");
        }
        extra.append("Transfer-Encoding: chunked\r\n\r\n");
        try {
            out.write(head("POST", streamPath, extra.toString()));
            writeChunk(preamble, preamble.length);
            byte[] chunk = new byte[SnapshotSender.CHUNK_BYTES];
            long sent = 0;
            for (int n; (n = data.read(chunk)) >= 0; ) {
                if (expected >= 0 && sent + n > expected) {
                    sent += n;
                    break;
                }
                writeChunk(chunk, n);
                sent += n;
            }
            if (expected >= 0 && sent != expected) {
                // Cut instead of ending the body: a clean end could pass a short stream for the whole.
                disconnect();
                throw new IOException(what + " has " + (sent > expected ? "more than " + expected : "only " + sent)
                        + " bytes of data, but its header says " + expected);
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            int status = readResponse();
            disconnect();
            return status;
        } catch (IOException | RuntimeException e) {
            disconnect();
            throw e;
        }
    }

    /** The start (up to 1 KiB) of the last answer's body, as text. */
    String lastBody() {
        return lastBody.toString(StandardCharsets.UTF_8).strip();
    }

    private void writeChunk(byte[] bytes, int length) throws IOException {
        if (length == 0) {
            return;
        }
        out.write((Integer.toHexString(length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes, 0, length);
        out.write(CRLF);
    }

    private static final byte[] CRLF = {'\r', '\n'};

    private byte[] request(byte[] body) {
        byte[] auth = session == null ? new byte[0]
                : (ClusterSecret.HEADER + ": " + session.header(session.nextCounter(), "POST", path, body, 0, body.length)
                        + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] length = ("Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] request = new byte[requestHead.length + auth.length + length.length + body.length];
        int at = 0;
        System.arraycopy(requestHead, 0, request, at, requestHead.length);
        at += requestHead.length;
        System.arraycopy(auth, 0, request, at, auth.length);
        at += auth.length;
        System.arraycopy(length, 0, request, at, length.length);
        at += length.length;
        System.arraycopy(body, 0, request, at, body.length);
        return request;
    }

    private int exchange(byte[] request) throws IOException {
        try {
            out.write(request);
            out.flush();
            int status = readResponse();
            lastUsedNanos = System.nanoTime();
            return status;
        } catch (IOException | RuntimeException e) {
            disconnect();
            throw e;
        }
    }

    private void connect() throws IOException {
        // Without TLS, the socket of a channel: a stream on it is written without blocking (tryWriteFrame).
        Socket s = tls.isPresent() ? new Socket() : SocketChannel.open().socket();
        Socket raw = s;
        try {
            s.setTcpNoDelay(true);
            s.setKeepAlive(true);
            s.connect(new InetSocketAddress(target.host(), target.port()), connectTimeoutMillis);
            s.setSoTimeout(requestTimeoutMillis);
            if (tls.isPresent()) {
                SSLSocket ssl = (SSLSocket) tls.get().getSocketFactory().createSocket(s, target.host(), target.port(), true);
                SSLParameters params = ssl.getSSLParameters();
                // The peer's certificate must name the address dialled, as for an HTTPS URL.
                params.setEndpointIdentificationAlgorithm("HTTPS");
                ssl.setSSLParameters(params);
                ssl.startHandshake();
                s = ssl;
            }
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        socket = s;
        rawSocket = raw;
        channel = raw.getChannel();
        session = null;
        out = new BufferedOutputStream(s.getOutputStream(), 16 * 1024);
        in = new BufferedInputStream(s.getInputStream(), 8 * 1024);
        if (closed) {
            disconnect();
            throw new IOException("raft connection to " + target + " is closed");
        }
        if (secret.isPresent()) {
            try {
                authenticate(secret.get());
            } catch (IOException | RuntimeException e) {
                disconnect();
                throw e;
            }
        }
    }

    /** The dialler's half of {@link ClusterSecret}'s handshake; nothing secret leaves before the peer proved itself. */
    private void authenticate(ClusterSecret secret) throws IOException {
        byte[] cn = ClusterSecret.newNonce();
        int status = authStep("hello " + ClusterSecret.encode(cn));
        String[] challenge = lastAuthHeader == null ? new String[0] : lastAuthHeader.split(" ");
        if (status != 200 || challenge.length != 3 || !challenge[0].equals("challenge")) {
            throw new PeerNotAuthenticException("raft peer " + target + " answered the cluster-secret hello with HTTP "
                    + status + " and no challenge; it is not a Skiff node with a cluster secret (or an older version)");
        }
        byte[] sn = ClusterSecret.decode(challenge[1]);
        byte[] proof = ClusterSecret.decode(challenge[2]);
        if (sn == null || sn.length != ClusterSecret.NONCE_BYTES
                || !ClusterSecret.same(secret.listenerProof(cn, sn), proof)) {
            throw new PeerNotAuthenticException("raft peer " + target + " does not prove the cluster secret "
                    + "(another secret, or not a member); nothing derived from the secret was sent to it");
        }
        status = authStep("prove " + ClusterSecret.encode(secret.diallerProof(cn, sn)));
        if (status != 204) {
            throw new PeerNotAuthenticException("raft peer " + target + " refused this node's cluster-secret proof with HTTP "
                    + status + ": " + lastBody());
        }
        session = secret.session(cn, sn);
    }

    private int authStep(String value) throws IOException {
        out.write(head("POST", RaftRpcHandler.AUTH_PATH,
                ClusterSecret.HEADER + ": " + value + "\r\nContent-Length: 0\r\n\r\n"));
        out.flush();
        int status = readResponse();
        if (socket == null) {
            throw new IOException("raft peer " + target + " closed the connection during the cluster-secret handshake"
                    + " (HTTP " + status + ": " + lastBody() + ")");
        }
        return status;
    }

    /** Reads one response; on return the connection is ready for the next request, or closed. */
    private int readResponse() throws IOException {
        String statusLine = readLine();
        if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12) {
            throw new IOException("not an HTTP response from " + target + ": " + statusLine);
        }
        int status;
        try {
            status = Integer.parseInt(statusLine, 9, 12, 10);
        } catch (NumberFormatException e) {
            throw new IOException("bad HTTP status line from " + target + ": " + statusLine);
        }
        long contentLength = -1;
        boolean chunked = false;
        lastAuthHeader = null;
        lastBody.reset();
        boolean close = statusLine.startsWith("HTTP/1.0");
        for (String line = readLine(); !line.isEmpty(); line = readLine()) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> contentLength = Long.parseLong(value);
                case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                case "x-skiff-auth" -> lastAuthHeader = value;
                case "connection" -> close = value.equalsIgnoreCase("close") || close && !value.equalsIgnoreCase("keep-alive");
                default -> {
                    // Other headers do not matter here.
                }
            }
        }
        if (chunked) {
            skipChunked();
        } else if (contentLength >= 0) {
            skip(contentLength);
        } else if (status != 204 && status != 304 && status / 100 != 1) {
            close = true; // the body runs to the end of the connection; nothing to reuse
        }
        if (close) {
            disconnect();
        }
        return status;
    }

    private void skipChunked() throws IOException {
        long total = 0;
        while (true) {
            String sizeLine = readLine();
            int semicolon = sizeLine.indexOf(';');
            long size = Long.parseLong((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
            if (size == 0) {
                while (!readLine().isEmpty()) {
                    // trailers
                }
                return;
            }
            total += size;
            if (total > MAX_ERROR_BODY) {
                throw new IOException("response body from " + target + " is larger than expected");
            }
            skip(size);
            readLine();
        }
    }

    private void skip(long n) throws IOException {
        if (n > MAX_ERROR_BODY) {
            throw new IOException("response body from " + target + " is larger than expected: " + n + " bytes");
        }
        long left = n;
        while (left > 0) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection to " + target + " closed inside a response body");
            }
            if (lastBody.size() < KEPT_BODY_BYTES) {
                lastBody.write(b);
            }
            left--;
        }
    }

    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder(64);
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection to " + target + " closed inside a response");
            }
            if (b == '\n') {
                int len = line.length();
                if (len > 0 && line.charAt(len - 1) == '\r') {
                    line.setLength(len - 1);
                }
                return line.toString();
            }
            if (line.length() >= MAX_HEADER_LINE) {
                throw new IOException("response header line from " + target + " is too long");
            }
            line.append((char) b);
        }
    }

    private void disconnect() {
        Socket s = socket;
        socket = null;
        rawSocket = null;
        channel = null;
        streamPath = null;
        session = null;
        out = null;
        in = null;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // Nothing left to do with a connection being dropped.
            }
        }
    }

    /** Closes the connection for good; a request in progress fails. */
    @Override
    public void close() {
        closed = true;
        Socket s = socket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // Closing is all that was asked.
            }
        }
    }
}
