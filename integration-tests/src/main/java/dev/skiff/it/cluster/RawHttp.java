package dev.skiff.it.cluster;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Sends raw bytes to a port and reads what comes back until the server closes the connection
 * (or the timeout passes): for requests {@link java.net.http.HttpClient} refuses to build, such
 * as a path with bad percent-encoding, or bytes that are not HTTP at all.
 *
 * <p>Stateless and thread-safe; blocks the calling thread.
 */
public final class RawHttp {

    private RawHttp() {
    }

    /**
     * What came back: the status of the first response line (0 if none was received or it was
     * not HTTP) and everything received.
     *
     * @param status   the HTTP status code, or 0
     * @param response the raw bytes received, as ISO-8859-1 text
     */
    public record Answer(int status, String response) {
    }

    /**
     * A request with {@code Connection: close} and the given raw request target (sent as is).
     *
     * @param body the body (null for none); sent with its Content-Length
     */
    public static Answer request(int port, String method, String rawTarget, String extraHeaders, byte[] body) {
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        String head = method + " " + rawTarget + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n"
                + (extraHeaders == null ? "" : extraHeaders)
                + (body == null ? "" : "Content-Length: " + body.length + "\r\n") + "\r\n";
        request.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
        if (body != null) {
            request.writeBytes(body);
        }
        return send(port, request.toByteArray(), Duration.ofSeconds(10));
    }

    /** Sends {@code bytes} to 127.0.0.1:{@code port}, then reads until EOF or {@code timeout}. */
    public static Answer send(int port, byte[] bytes, Duration timeout) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), (int) timeout.toMillis());
            socket.setSoTimeout((int) timeout.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(bytes);
            out.flush();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    received.write(buffer, 0, n);
                }
            } catch (SocketTimeoutException e) {
                // The server kept the connection open: what came so far is the answer.
            } catch (IOException e) {
                // A reset after the answer was sent is an answer too; none at all is reported below.
                if (received.size() == 0) {
                    throw e;
                }
            }
            String text = received.toString(StandardCharsets.ISO_8859_1);
            return new Answer(statusOf(text), text);
        } catch (IOException e) {
            throw new UncheckedIOException("raw request to 127.0.0.1:" + port + " failed: " + e, e);
        }
    }

    private static int statusOf(String response) {
        if (!response.startsWith("HTTP/1.")) {
            return 0;
        }
        int space = response.indexOf(' ');
        try {
            return Integer.parseInt(response.substring(space + 1, space + 4));
        } catch (RuntimeException e) {
            return 0;
        }
    }
}
