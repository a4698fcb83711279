package dev.skiff.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLSocketFactory;

/**
 * Sends one attempt of a {@link Call} to one endpoint, over the JDK's {@link HttpURLConnection}.
 * Not {@code java.net.http.HttpClient}: that one loads and starts a thousand more classes, a
 * selector thread and TLS even for plain HTTP: a large part of a CLI command's start-up
 * (a JVM per command; issue #16).
 *
 * <p>Every request with a method other than GET is sent in fixed-length streaming mode, also
 * with an empty body: {@code HttpURLConnection} silently sends a buffered request a second time
 * when the connection fails before the answer, and a write must never be repeated behind the
 * caller's back (an unknown outcome is the caller's to resolve).
 */
final class Exchange {

    private final int connectTimeoutMillis;
    private final SSLSocketFactory tls;

    /** @param tls the socket factory for {@code https} endpoints, or null (https then uses the JDK's defaults) */
    Exchange(Duration connectTimeout, SSLSocketFactory tls) {
        this.connectTimeoutMillis = millis(connectTimeout);
        this.tls = tls;
    }

    /**
     * The node closed the connection before it had taken the whole body: it cannot have applied
     * the request (no write is applied before its body is complete). A node does this when it
     * refuses the body early, e.g. {@code 413} for a value over its limit; HttpURLConnection
     * keeps no answer once the write has failed.
     */
    static final class BodyNotTakenException extends IOException {
        BodyNotTakenException(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** The request never left this process: no node saw it, so it may go to another endpoint. */
    static final class NotSentException extends IOException {
        NotSentException(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /**
     * One attempt.
     *
     * @param stream whether a 2xx body is handed over open ({@link Response#stream()}) instead of read whole
     * @throws NotSentException when connecting failed (nothing was sent)
     * @throws BodyNotTakenException when the node stopped taking the body (nothing was applied)
     * @throws IOException      when the exchange failed after the request may have reached the node
     */
    Response send(URI endpoint, Call call, boolean stream) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(endpoint + call.path()).toURL().openConnection(Proxy.NO_PROXY);
        if (c instanceof HttpsURLConnection https && tls != null) {
            https.setSSLSocketFactory(tls);
        }
        c.setConnectTimeout(connectTimeoutMillis);
        c.setReadTimeout(millis(call.timeout()));
        c.setInstanceFollowRedirects(false);
        c.setUseCaches(false);
        c.setRequestMethod(call.method());
        c.setRequestProperty("Accept", "*/*");
        if (call.token() != null) {
            c.setRequestProperty(SkiffClient.TOKEN_HEADER, call.token());
        }
        boolean sendsBody = !call.method().equals("GET");
        if (sendsBody) {
            c.setDoOutput(true);
            c.setFixedLengthStreamingMode(call.body() == null ? 0 : call.body().length());
            c.setRequestProperty("Content-Type", call.contentType() == null ? "application/octet-stream" : call.contentType());
        }
        try {
            c.connect();
        } catch (IOException e) {
            throw new NotSentException(e);
        }
        if (sendsBody) {
            try (OutputStream out = c.getOutputStream()) {
                if (call.body() != null) {
                    try (InputStream in = call.body().source().open()) {
                        in.transferTo(out);
                    }
                }
            } catch (IOException writeFailed) {
                throw new BodyNotTakenException(writeFailed);
            }
        }
        int status = c.getResponseCode();
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        c.getHeaderFields().forEach((name, values) -> {
            if (name != null) {
                headers.put(name, values);
            }
        });
        InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
        if (stream && status / 100 == 2) {
            return new Response(endpoint, status, headers, new byte[0], in);
        }
        byte[] body;
        if (in == null) {
            body = new byte[0];
        } else {
            try (in) {
                body = in.readAllBytes();
            }
        }
        return new Response(endpoint, status, headers, body, null);
    }

    private static int millis(Duration d) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, d.toMillis()));
    }
}
