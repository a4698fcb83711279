package dev.skiff.client;

/**
 * A {@code 4xx} other than 404 and 412: the request is wrong as sent (bad key, value too large,
 * a member that already exists, missing token...). Nothing was changed; retrying the same request
 * gives the same answer. {@link #getMessage()} is the node's explanation, {@link #code()} its
 * machine-readable code.
 */
public final class RequestRejectedException extends SkiffException {

    private static final long serialVersionUID = 1L;

    /**
     * @param status  the 4xx status
     * @param code    the node's error code
     * @param message the node's explanation
     */
    public RequestRejectedException(int status, String code, String message) {
        super(status, code, message, null);
    }
}
