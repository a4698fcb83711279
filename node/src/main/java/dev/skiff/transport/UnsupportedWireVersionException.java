package dev.skiff.transport;

/**
 * A raft message of another wire version than the one this node speaks ({@link MessageCodec#VERSION}):
 * its sender runs a release with another layout, or is no raft node at all. Nothing has been
 * delivered when this is thrown.
 */
public final class UnsupportedWireVersionException extends MalformedMessageException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message names the version found, the one this node speaks, and the offset
     */
    public UnsupportedWireVersionException(String message) {
        super(message);
    }
}
