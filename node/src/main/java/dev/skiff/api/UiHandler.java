package dev.skiff.api;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The web UI ({@code GET /ui/}): a few static files from the jar ({@code ui/} on the class
 * path), loaded into memory once. The page itself talks to the native API from the browser.
 *
 * <p><b>Paths.</b> Only the exact paths of {@link #FILES} are served; anything else under
 * {@code /ui/} is 404. The raw request path is looked up as it came (the server does not decode
 * it), so {@code ..}, {@code %2e%2e}, {@code %2f}, backslashes and the like can never name a
 * file outside the list: there is no file-system or class-path lookup by request path at all.
 *
 * <p><b>Caching.</b> Every response carries a strong {@code ETag} (a hash of the content) and
 * {@code Cache-Control: no-cache}: a browser revalidates on each load and gets {@code 304}
 * while the node runs the same version, and sees a new version right after an upgrade.
 *
 * <p><b>Hardening.</b> A content security policy that allows only this origin's own files and
 * API (no inline script, no external fonts or scripts), {@code nosniff}, no framing, no
 * referrer.
 */
final class UiHandler {

    /** Request path → class-path resource and content type. */
    private static final Map<String, String[]> FILES = Map.of(
            "/ui/", new String[] {"ui/index.html", "text/html; charset=utf-8"},
            "/ui/index.html", new String[] {"ui/index.html", "text/html; charset=utf-8"},
            "/ui/app.js", new String[] {"ui/app.js", "text/javascript; charset=utf-8"},
            "/ui/style.css", new String[] {"ui/style.css", "text/css; charset=utf-8"},
            "/ui/favicon.svg", new String[] {"ui/favicon.svg", "image/svg+xml"});

    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private record Asset(byte[] body, String contentType, String etag) {
    }

    private final Map<String, Asset> assets = new LinkedHashMap<>();

    /** @throws IllegalStateException if a UI file is missing from the jar (a broken build) */
    UiHandler() {
        Map<String, Asset> byResource = new LinkedHashMap<>();
        FILES.forEach((path, file) -> assets.put(path, byResource.computeIfAbsent(file[0], r -> load(r, file[1]))));
    }

    private static Asset load(String resource, String contentType) {
        try (InputStream in = UiHandler.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the web UI file " + resource + " is missing from the class path; rebuild the node jar");
            }
            byte[] body = in.readAllBytes();
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(body);
            return new Asset(body, contentType, "\"" + HexFormat.of().formatHex(hash, 0, 12) + "\"");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the web UI file " + resource, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Serves {@code path} ({@code /ui} or below, raw). */
    void handle(HttpServerExchange exchange, String path) {
        String method = exchange.getRequestMethod().toString();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            throw new ApiException(405, "method_not_allowed", method + " is not allowed on the web UI; use GET");
        }
        if (path.equals("/ui")) {
            exchange.setStatusCode(308);
            exchange.getResponseHeaders().put(Headers.LOCATION, "/ui/");
            return;
        }
        Asset asset = assets.get(path);
        if (asset == null) {
            throw ApiException.notFound("no such web UI file: " + path + " (the UI is at /ui/)");
        }
        var headers = exchange.getResponseHeaders();
        headers.put(Headers.ETAG, asset.etag());
        headers.put(Headers.CACHE_CONTROL, "no-cache");
        headers.put(new HttpString("Content-Security-Policy"), CONTENT_SECURITY_POLICY);
        headers.put(new HttpString("X-Content-Type-Options"), "nosniff");
        headers.put(new HttpString("X-Frame-Options"), "DENY");
        headers.put(new HttpString("Referrer-Policy"), "no-referrer");
        String ifNoneMatch = exchange.getRequestHeaders().getFirst(Headers.IF_NONE_MATCH);
        if (ifNoneMatch != null && (ifNoneMatch.equals(asset.etag()) || ifNoneMatch.equals("W/" + asset.etag()))) {
            exchange.setStatusCode(304);
            return;
        }
        exchange.setStatusCode(200);
        headers.put(Headers.CONTENT_TYPE, asset.contentType());
        headers.put(Headers.CONTENT_LENGTH, Integer.toString(asset.body().length));
        if (method.equals("HEAD")) {
            return;
        }
        exchange.getResponseSender().send(ByteBuffer.wrap(asset.body()));
    }
}
