package dev.skiff.transport;

import java.io.IOException;

/** A raft peer that did not prove the cluster secret; the connection was closed before anything secret was sent. */
final class PeerNotAuthenticException extends IOException {

    PeerNotAuthenticException(String message) {
        super(message);
    }
}
