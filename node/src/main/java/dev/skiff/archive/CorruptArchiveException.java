package dev.skiff.archive;

/**
 * An archive object that is missing, altered or out of place: the message names the object and
 * what is wrong with it.
 */
public final class CorruptArchiveException extends RuntimeException {

    /** @param message names the object and the problem */
    public CorruptArchiveException(String message) {
        super(message);
    }
}
