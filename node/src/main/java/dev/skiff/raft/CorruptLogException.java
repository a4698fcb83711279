package dev.skiff.raft;

import java.io.IOException;

/**
 * Stored data failed its integrity check: a checksum mismatch or an impossible record that
 * is not a torn write at the tail. The store refuses to return it rather than return a wrong
 * value. The message names the file, the offset and how to recover.
 */
public class CorruptLogException extends IOException {

    private static final long serialVersionUID = 1L;

    /** @param message names the file, the offset and the recovery step */
    public CorruptLogException(String message) {
        super(message);
    }

    /** @param message names the file, the offset and the recovery step; @param cause the decode failure */
    public CorruptLogException(String message, Throwable cause) {
        super(message, cause);
    }
}
