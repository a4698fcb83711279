package dev.skiff.transport;

/**
 * Bytes that are not a Raft message this codec understands: garbage, a truncated body, an
 * impossible length or value, or another release's wire version
 * ({@link UnsupportedWireVersionException}). The message names what is wrong and the byte offset
 * where decoding stopped. Nothing has been delivered when this is thrown.
 */
public sealed class MalformedMessageException extends IllegalArgumentException permits UnsupportedWireVersionException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message names the field, the offset and what was found there
     */
    public MalformedMessageException(String message) {
        super(message);
    }

    /**
     * @param message names the field and the offset
     * @param cause   the underlying rejection
     */
    public MalformedMessageException(String message, Throwable cause) {
        super(message, cause);
    }
}
