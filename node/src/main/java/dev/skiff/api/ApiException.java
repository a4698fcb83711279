package dev.skiff.api;

/**
 * A request that ends with an error response: the HTTP status, the machine-readable code of
 * API.md, and a message for humans. Thrown by handlers, turned into JSON by {@link Responses}.
 */
final class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    final int status;
    final String code;
    /** Extra JSON fields (for example the current modifyIndex of a failed CAS), or null. */
    final transient java.util.Map<String, Object> extra;

    ApiException(int status, String code, String message) {
        this(status, code, message, null);
    }

    ApiException(int status, String code, String message, java.util.Map<String, Object> extra) {
        super(message);
        this.status = status;
        this.code = code;
        this.extra = extra;
    }

    static ApiException badRequest(String message) {
        return new ApiException(400, "bad_request", message);
    }

    static ApiException notFound(String message) {
        return new ApiException(404, "not_found", message);
    }

    static ApiException unavailable(String message) {
        return new ApiException(503, "unavailable", message);
    }

    static ApiException outcomeUnknown(String message) {
        return new ApiException(504, "outcome_unknown", message);
    }
}
