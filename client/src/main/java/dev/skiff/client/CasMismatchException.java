package dev.skiff.client;

/**
 * {@code 412}: a compare-and-set did not match. Nothing was changed; {@link #currentModifyIndex()}
 * is the key's modifyIndex now (0 when the key does not exist), the value to pass to the next
 * attempt.
 */
public final class CasMismatchException extends SkiffException {

    private static final long serialVersionUID = 1L;

    private final long currentModifyIndex;

    /**
     * @param message            the node's explanation
     * @param currentModifyIndex the key's current modifyIndex, 0 if absent
     */
    public CasMismatchException(String message, long currentModifyIndex) {
        super(412, "cas_mismatch", message, null);
        this.currentModifyIndex = currentModifyIndex;
    }

    /** The key's modifyIndex when the node checked it; 0 when the key does not exist. */
    public long currentModifyIndex() {
        return currentModifyIndex;
    }
}
