package dev.skiff.storage;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the options of a storage URI ({@code s3://bucket/prefix?pathStyle=true},
 * {@code dynamodb://table?cluster=prod&region=eu-west-1}). Stateless and thread-safe.
 */
public final class StorageUris {

    private StorageUris() {
    }

    /**
     * The query's parameters, percent-decoded, in order; a key without {@code =} maps to
     * {@code ""}, and of a repeated key the last value wins.
     */
    public static Map<String, String> query(URI uri) {
        Map<String, String> out = new LinkedHashMap<>();
        String raw = uri.getRawQuery();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            out.put(key, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return out;
    }

    /** The decoded value of parameter {@code name}, or null without one. */
    public static String parameter(URI uri, String name) {
        return query(uri).get(name);
    }
}
