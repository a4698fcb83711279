package dev.skiff.transport;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A raw HTTP/1.1 connection to a raft port for tests: runs the cluster-secret handshake by
 * hand and sends any request, authenticated or not, recording the exact bytes sent so a test
 * can replay them.
 */
final class RaftWireClient implements AutoCloseable {

    record Reply(int status, Map<String, String> headers, String body) {
    }

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private ClusterSecret.Session session;

    RaftWireClient(HostPort target) throws IOException {
        socket = new Socket(target.host(), target.port());
        socket.setSoTimeout(10_000);
        out = socket.getOutputStream();
        in = new BufferedInputStream(socket.getInputStream());
    }

    /** Runs the handshake as a dialler holding {@code secret}; returns the prove step's reply. */
    Reply handshake(ClusterSecret secret) throws IOException {
        byte[] cn = ClusterSecret.newNonce();
        Reply challenge = send(raw("POST", RaftRpcHandler.AUTH_PATH, ClusterSecret.HEADER + ": hello " + ClusterSecret.encode(cn), new byte[0]));
        String[] parts = challenge.headers().get("x-skiff-auth").split(" ");
        byte[] sn = ClusterSecret.decode(parts[1]);
        Reply proved = send(raw("POST", RaftRpcHandler.AUTH_PATH,
                ClusterSecret.HEADER + ": prove " + ClusterSecret.encode(secret.diallerProof(cn, sn)), new byte[0]));
        session = secret.session(cn, sn);
        return proved;
    }

    /** The bytes of a request with the next counter's MAC (after {@link #handshake}). */
    byte[] authenticated(String path, byte[] body) {
        long n = session.nextCounter();
        return raw("POST", path, ClusterSecret.HEADER + ": " + session.header(n, "POST", path, body, 0, body.length), body);
    }

    /** A snapshot request's bytes: the MAC covers only its preamble (length and InstallSnapshot). */
    byte[] authenticatedSnapshot(byte[] body, int preambleLength) {
        long n = session.nextCounter();
        String path = RaftRpcHandler.SNAPSHOT_PATH;
        return raw("POST", path, ClusterSecret.HEADER + ": " + session.header(n, "POST", path, body, 0, preambleLength), body);
    }

    /**
     * Sends the head of a message stream (with the next counter's MAC over an empty body) and
     * reads the peer's first answer: 100 to go on with {@link #frame}s.
     */
    Reply openStream() throws IOException {
        String path = RaftRpcHandler.STREAM_PATH;
        String head = "POST " + path + " HTTP/1.1\r\nHost: raft\r\n" + ClusterSecret.HEADER + ": "
                + session.header(session.nextCounter(), "POST", path, new byte[0], 0, 0)
                + "\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n";
        return send(head.getBytes(StandardCharsets.US_ASCII));
    }

    /** One stream frame as a chunk: the next counter, its MAC over {@code batch}, the length and the batch. */
    byte[] frame(byte[] batch) {
        long n = session.nextCounter();
        byte[] mac = session.mac(n, "POST", RaftRpcHandler.STREAM_PATH, batch, 0, batch.length);
        return chunk(java.nio.ByteBuffer.allocate(8 + mac.length + 4 + batch.length)
                .putLong(n).put(mac).putInt(batch.length).put(batch).array());
    }

    /** {@code bytes} as one chunk of a chunked body. */
    static byte[] chunk(byte[] bytes) {
        byte[] size = (Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        return java.nio.ByteBuffer.allocate(size.length + bytes.length + 2).put(size).put(bytes)
                .put((byte) '\r').put((byte) '\n').array();
    }

    /** Writes bytes without waiting for an answer (stream frames get none). */
    void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Reads one answer without sending anything. */
    Reply read() throws IOException {
        return send(new byte[0]);
    }

    static byte[] raw(String method, String path, String header, byte[] body) {
        String head = method + " " + path + " HTTP/1.1\r\nHost: raft\r\n" + (header == null ? "" : header + "\r\n")
                + "Content-Length: " + body.length + "\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] request = new byte[h.length + body.length];
        System.arraycopy(h, 0, request, 0, h.length);
        System.arraycopy(body, 0, request, h.length, body.length);
        return request;
    }

    /** Sends request bytes and reads one answer. */
    Reply send(byte[] request) throws IOException {
        out.write(request);
        out.flush();
        String status = line();
        Map<String, String> headers = new LinkedHashMap<>();
        for (String l = line(); !l.isEmpty(); l = line()) {
            int colon = l.indexOf(':');
            headers.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
        return new Reply(Integer.parseInt(status.substring(9, 12)), headers, body);
    }

    private String line() throws IOException {
        return line(in);
    }

    /** One line of an HTTP head or chunked body, without its CR LF. */
    static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("connection closed");
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
