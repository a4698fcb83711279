package dev.skiff.client;

/**
 * A request that failed. The subclasses say what the caller may do next:
 * {@link UnavailableException} (surely not applied: retry), {@link OutcomeUnknownException}
 * (may or may not have been applied: read before retrying), {@link CasMismatchException},
 * {@link NotFoundException} and {@link RequestRejectedException} (the request is wrong as sent).
 * Any other status (a 5xx other than 503/504) is a plain {@code SkiffException}.
 */
public class SkiffException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;

    /**
     * @param status the HTTP status, or 0 when no node answered
     * @param code   the API's machine-readable error code ({@code "no_leader"}, ...), or "" if none
     * @param message the API's human-readable error, or what went wrong on the way
     * @param cause  the underlying failure, or null
     */
    public SkiffException(int status, String code, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.code = code == null ? "" : code;
    }

    /** The HTTP status the node answered with, or 0 when no node answered. */
    public int status() {
        return status;
    }

    /** The API's error code ({@code "bad_request"}, {@code "cas_mismatch"}, ...), or "" when the body had none. */
    public String code() {
        return code;
    }
}
