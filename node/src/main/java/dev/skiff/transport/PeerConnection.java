package dev.skiff.transport;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/**
 * One keep-alive HTTP/1.1 connection to a peer's raft port, used by one request at a time:
 * {@link #post} writes a request in one system call and reads the answer on the calling thread.
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
 * <p>An idle connection older than {@link #MAX_IDLE_NANOS} is replaced before use: the server
 * closes idle connections after two minutes, and a request must not race that close. A kept
 * connection that turns out closed (the server may close after an answer without announcing
 * it) is replaced and the request sent once more.
 *
 * <p>Not thread-safe: owned by one sender at a time. {@link #close} may be called from any
 * thread to abort a request in progress.
 */
final class PeerConnection implements AutoCloseable {

    /** Well under the server's two-minute idle timeout. */
    static final long MAX_IDLE_NANOS = 30_000_000_000L;
    private static final int MAX_HEADER_LINE = 8 * 1024;
    private static final int MAX_ERROR_BODY = 64 * 1024;

    private final HostPort target;
    private final byte[] requestHead;
    private final int connectTimeoutMillis;
    private final int requestTimeoutMillis;
    private volatile Socket socket;
    private OutputStream out;
    private InputStream in;
    private long lastUsedNanos;
    private volatile boolean closed;

    /**
     * @param path   the request path
     * @param secret the cluster secret's header, if any
     */
    PeerConnection(HostPort target, String path, Optional<ClusterSecret> secret, int connectTimeoutMillis,
                   int requestTimeoutMillis) {
        this.target = target;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.requestTimeoutMillis = requestTimeoutMillis;
        StringBuilder head = new StringBuilder(160)
                .append("POST ").append(path).append(" HTTP/1.1\r\n")
                .append("Host: ").append(target).append("\r\n")
                .append("Content-Type: application/octet-stream\r\n");
        secret.ifPresent(s -> head.append(ClusterSecret.HEADER).append(": ").append(s.headerValue()).append("\r\n"));
        head.append("Content-Length: ");
        this.requestHead = head.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Sends {@code body} and waits for the answer.
     *
     * @return the HTTP status
     * @throws IOException on any connection failure: {@link java.net.ConnectException} or a
     *                     {@link java.net.SocketTimeoutException} when the peer is down or
     *                     hung, others when the connection broke
     */
    int post(byte[] body) throws IOException {
        if (closed) {
            throw new IOException("raft connection to " + target + " is closed");
        }
        if (socket != null && System.nanoTime() - lastUsedNanos > MAX_IDLE_NANOS) {
            disconnect();
        }
        byte[] request = request(body);
        boolean reused = socket != null;
        if (!reused) {
            connect();
        }
        try {
            return exchange(request);
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
            return exchange(request);
        }
    }

    private byte[] request(byte[] body) {
        byte[] length = Integer.toString(body.length).getBytes(StandardCharsets.US_ASCII);
        byte[] request = new byte[requestHead.length + length.length + 4 + body.length];
        System.arraycopy(requestHead, 0, request, 0, requestHead.length);
        System.arraycopy(length, 0, request, requestHead.length, length.length);
        int at = requestHead.length + length.length;
        request[at++] = '\r';
        request[at++] = '\n';
        request[at++] = '\r';
        request[at++] = '\n';
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
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.setKeepAlive(true);
            s.connect(new InetSocketAddress(target.host(), target.port()), connectTimeoutMillis);
            s.setSoTimeout(requestTimeoutMillis);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        socket = s;
        out = s.getOutputStream();
        in = new BufferedInputStream(s.getInputStream(), 8 * 1024);
        if (closed) {
            disconnect();
            throw new IOException("raft connection to " + target + " is closed");
        }
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
            long skipped = in.skip(left);
            if (skipped <= 0) {
                if (in.read() < 0) {
                    throw new EOFException("connection to " + target + " closed inside a response body");
                }
                skipped = 1;
            }
            left -= skipped;
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
