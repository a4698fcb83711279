package dev.skiff.transport;

import java.io.IOException;

/**
 * A raft peer answered a request to open a stream with a final HTTP status instead of
 * {@code 100 Continue}: 404 from a node that predates streams, 401 when it does not accept this
 * node's cluster-secret MAC.
 */
final class StreamRefusedException extends IOException {

    private final int status;

    StreamRefusedException(HostPort target, int status, String body) {
        super("raft peer " + target + " refused a message stream with HTTP " + status + (body.isEmpty() ? "" : ": " + body));
        this.status = status;
    }

    /** The HTTP status the peer answered. */
    int status() {
        return status;
    }
}
