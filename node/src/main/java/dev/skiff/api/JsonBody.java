package dev.skiff.api;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * A JSON object request body, read strictly: it must be one object (no trailing data, no field
 * given twice), every field must be one the endpoint knows, and every value must have its
 * type. Every problem is a {@code 400} in our own words, naming the field and the expected
 * shape; the parser's own messages never reach the client.
 */
final class JsonBody {

    /** Fails on a repeated field and on anything after the object, instead of taking the last or ignoring it. */
    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final JsonNode object;
    private final String shape;

    private JsonBody(JsonNode object, String shape) {
        this.object = object;
        this.shape = shape;
    }

    /**
     * Parses {@code body} as one JSON object whose fields are all in {@code allowed}.
     *
     * @param shape what the endpoint expects, for the error messages (for example
     *              {@code {"raftAddress":"host:port","apiAddress":"host:port"}})
     * @throws ApiException 400 if the body is empty, not JSON, not an object, or has a field
     *                      outside {@code allowed}
     */
    static JsonBody parseObject(byte[] body, List<String> allowed, String shape) {
        if (body.length == 0 || new String(body, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
            throw ApiException.badRequest("the body is empty; send a JSON object " + shape);
        }
        JsonNode json;
        try {
            json = STRICT.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("the body is not valid JSON" + where(e.getLocation()) + duplicateField(e)
                    + "; send a JSON object " + shape);
        } catch (IOException e) {
            throw ApiException.badRequest("the body could not be read as JSON; send a JSON object " + shape);
        }
        if (json == null || !json.isObject()) {
            throw ApiException.badRequest("the body must be a JSON object " + shape + ", got " + kind(json));
        }
        for (Iterator<String> names = json.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw ApiException.badRequest("unknown field '" + name + "'; the fields here are " + String.join(", ", allowed));
            }
        }
        return new JsonBody(json, shape);
    }

    private static String where(JsonLocation location) {
        if (location == null || location.getLineNr() < 1) {
            return "";
        }
        return " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }

    /** Jackson names the repeated field only in its own text; this takes just the name out. */
    private static String duplicateField(JsonProcessingException e) {
        String m = String.valueOf(e.getOriginalMessage());
        String marker = "Duplicate field '";
        int start = m.indexOf(marker);
        if (start < 0) {
            return "";
        }
        int end = m.indexOf('\'', start + marker.length());
        return end < 0 ? "" : ": field '" + m.substring(start + marker.length(), end) + "' is given more than once";
    }

    private static String kind(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> "a " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    /** The raw value of a field, or null when absent; for shapes the typed accessors do not cover. */
    JsonNode node(String field) {
        return object.get(field);
    }

    /** Whether the field is present (null counts as present). */
    boolean has(String field) {
        return object.has(field);
    }

    /**
     * A non-empty string field, or empty when absent.
     *
     * @throws ApiException 400 if present but not a non-empty string
     */
    Optional<String> optionalText(String field) {
        JsonNode v = object.get(field);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isTextual() || v.asText().isEmpty()) {
            throw ApiException.badRequest("field '" + field + "' must be a non-empty string, got " + describe(v));
        }
        return Optional.of(v.asText());
    }

    /**
     * A required non-empty string field.
     *
     * @throws ApiException 400 if missing or not a non-empty string
     */
    String requiredText(String field) {
        if (!object.has(field)) {
            throw ApiException.badRequest("field '" + field + "' is required; send a JSON object " + shape);
        }
        return optionalText(field).orElseThrow();
    }

    /**
     * A boolean field ({@code true} or {@code false}, not a string), or {@code absent}.
     *
     * @throws ApiException 400 if present but not a JSON boolean
     */
    boolean bool(String field, boolean absent) {
        JsonNode v = object.get(field);
        if (v == null) {
            return absent;
        }
        if (!v.isBoolean()) {
            throw ApiException.badRequest("field '" + field + "' must be true or false, got " + describe(v));
        }
        return v.booleanValue();
    }

    private static String describe(JsonNode v) {
        if (v.isNull()) {
            return "null";
        }
        String text = v.toString();
        return kind(v) + " " + (text.length() > 40 ? text.substring(0, 40) + "…" : text);
    }
}
