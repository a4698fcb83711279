package dev.skiff.it.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;

/**
 * One HTTP answer from a node: status, headers (looked up case-insensitively) and body.
 *
 * <p>Immutable (the body array is not copied: do not change it).
 *
 * @param status  the HTTP status code
 * @param headers the response headers
 * @param body    the response body, possibly empty
 */
public record HttpReply(int status, HttpHeaders headers, byte[] body) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The body as UTF-8 text. */
    public String text() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** The body parsed as JSON. @throws UncheckedIOException if it is not JSON */
    public JsonNode json() {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON (status " + status + "): " + text(), e);
        }
    }

    /** The first value of header {@code name}, or null. */
    public String header(String name) {
        return headers.firstValue(name).orElse(null);
    }

    /** Header {@code name} as a number, if present. */
    public OptionalLong longHeader(String name) {
        return headers.firstValueAsLong(name);
    }

    /** For assertion messages: status and body. */
    @Override
    public String toString() {
        String t = text();
        return status + " " + (t.length() > 300 ? t.substring(0, 300) + "..." : t);
    }
}
