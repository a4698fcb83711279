package dev.skiff.api;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Strict parsing of request paths and query strings (the server leaves URLs undecoded so that
 * this class sees the raw bytes): bad percent-encoding, invalid UTF-8, unknown or repeated
 * parameters and malformed numbers are errors, never guesses.
 *
 * @param params the decoded query parameters, in order
 */
record RequestParts(Map<String, String> params) {

    /** Parses a raw query string ({@code a=1&b=x%20y}); {@code +} means a space there. */
    static RequestParts ofQuery(String rawQuery) {
        Map<String, String> params = new LinkedHashMap<>();
        if (rawQuery != null && !rawQuery.isEmpty()) {
            for (String pair : rawQuery.split("&", -1)) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name = decode(eq < 0 ? pair : pair.substring(0, eq), true, "query parameter name");
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1), true, "query parameter '" + name + "'");
                if (params.put(name, value) != null) {
                    throw ApiException.badRequest("query parameter '" + name + "' given more than once");
                }
            }
        }
        return new RequestParts(params);
    }

    /** Percent-decodes a path segment as UTF-8 ({@code +} stays a plus). */
    static String decodePath(String raw) {
        return decode(raw, false, "path");
    }

    private static String decode(String raw, boolean plusIsSpace, String what) {
        if (isPlainAscii(raw, plusIsSpace)) {
            return raw; // nothing to decode: the common case on every request, so it allocates nothing
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                int hi = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
                int lo = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 2), 16) : -1;
                if (hi < 0 || lo < 0) {
                    throw ApiException.badRequest("bad percent-encoding at position " + i + " of the " + what);
                }
                bytes.write(hi << 4 | lo);
                i += 2;
            } else if (c == '+' && plusIsSpace) {
                bytes.write(' ');
            } else if (c < 0x80) {
                bytes.write(c);
            } else {
                byte[] utf8 = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(utf8, 0, utf8.length);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw ApiException.badRequest("the " + what + " is not valid UTF-8 after percent-decoding");
        }
    }

    /** True if {@code raw} is ASCII with no escape to decode: it is its own decoding. */
    private static boolean isPlainAscii(String raw, boolean plusIsSpace) {
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c >= 0x80 || c == '%' || (c == '+' && plusIsSpace)) {
                return false;
            }
        }
        return true;
    }

    /** Rejects parameters outside {@code allowed}. */
    RequestParts allowOnly(Set<String> allowed) {
        for (String name : params.keySet()) {
            if (!allowed.contains(name)) {
                throw ApiException.badRequest("unknown query parameter '" + name + "'"
                        + (allowed.isEmpty() ? "" : "; allowed here: " + String.join(", ", new java.util.TreeSet<>(allowed))));
            }
        }
        return this;
    }

    String param(String name) {
        return params.get(name);
    }

    /** A non-negative integer parameter, or {@code absent} when missing. */
    long longParam(String name, long absent) {
        String v = params.get(name);
        if (v == null) {
            return absent;
        }
        try {
            long n = Long.parseLong(v);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(name + " must be a non-negative integer, got '" + v + "'");
        }
    }
}
