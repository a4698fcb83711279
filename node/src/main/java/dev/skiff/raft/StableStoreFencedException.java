package dev.skiff.raft;

import java.io.IOException;

/**
 * A {@link StableStore} refused a write because another process owns this server's identity,
 * or because the write would move the term backwards. Retrying cannot help: the process must
 * stop (and an operator must find the duplicate).
 */
public class StableStoreFencedException extends IOException {

    private static final long serialVersionUID = 1L;

    /** @param message says which identity is fenced and by what */
    public StableStoreFencedException(String message) {
        super(message);
    }
}
