package dev.skiff.client;

/** {@code 404}: no such key, member or snapshot. Reads of a key return an empty {@code Optional} instead. */
public final class NotFoundException extends SkiffException {

    private static final long serialVersionUID = 1L;

    /** @param message the node's explanation */
    public NotFoundException(String code, String message) {
        super(404, code, message, null);
    }
}
