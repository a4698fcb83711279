package dev.skiff.client;

/**
 * Told how far a snapshot download or upload has got. Called on the transferring thread, at
 * most every 64 KiB and once at the end; keep it cheap.
 */
@FunctionalInterface
public interface TransferProgress {

    /** Reports nothing. */
    TransferProgress NONE = (done, total) -> { };

    /**
     * @param bytesDone  bytes transferred so far
     * @param bytesTotal the whole size, or -1 when the node did not say
     */
    void update(long bytesDone, long bytesTotal);
}
