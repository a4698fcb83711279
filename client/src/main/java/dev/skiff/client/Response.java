package dev.skiff.client;

import java.io.InputStream;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A node's answer to one attempt.
 *
 * @param endpoint the node that answered
 * @param status   the HTTP status
 * @param headers  the response headers, names compared case-insensitively
 * @param body     the whole body; empty when {@code stream} is set
 * @param stream   the open body of a streamed 2xx answer (the caller closes it), else null
 */
record Response(URI endpoint, int status, Map<String, List<String>> headers, byte[] body, InputStream stream) {

    Optional<String> header(String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.ofNullable(values.get(0));
    }

    /** A header's value as a number; empty when it is absent or not a number. */
    OptionalLong longHeader(String name) {
        try {
            return header(name).map(v -> OptionalLong.of(Long.parseLong(v.trim()))).orElse(OptionalLong.empty());
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
