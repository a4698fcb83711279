package dev.skiff.client;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;

/**
 * One request as the {@link Retrier} sends it, possibly several times.
 *
 * @param method       the HTTP method
 * @param path         path and query, starting with {@code /}
 * @param body         the body (opened afresh for each attempt), or null for none
 * @param contentType  the body's content type, or null
 * @param retryUnknown whether it may be sent again after an unknown outcome (reads, idempotent writes)
 * @param timeout      how long one attempt may wait for data from the node (the answer's headers, each read of its body)
 * @param token        the ACL token, or null
 */
record Call(String method, String path, Body body, String contentType, boolean retryUnknown,
            Duration timeout, String token) {

    /** A request body of a known length, read from a fresh stream for each attempt. */
    record Body(long length, Source source) {

        /** Opens the body's bytes. */
        @FunctionalInterface
        interface Source {
            InputStream open() throws IOException;
        }

        static Body of(byte[] bytes) {
            return new Body(bytes.length, () -> new java.io.ByteArrayInputStream(bytes));
        }
    }
}
