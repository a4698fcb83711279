package dev.skiff.kv;

import java.io.IOException;

/**
 * A snapshot that {@link KvSnapshotValidator} refused. The message says what is wrong, in
 * words meant for the operator who sent it (for example {@code "unsupported snapshot version 7
 * ... (byte offset 8 of 4096)"} or {@code "truncated at byte 4096 of 13001630: ..."}).
 */
public final class InvalidSnapshotException extends IOException {

    private static final long serialVersionUID = 1L;

    InvalidSnapshotException(String message) {
        super(message);
    }

    InvalidSnapshotException(String message, Throwable cause) {
        super(message, cause);
    }
}
