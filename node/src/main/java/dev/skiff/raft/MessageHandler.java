package dev.skiff.raft;

import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.RaftMessage;
import java.io.IOException;
import java.io.InputStream;

/**
 * Receives the messages a {@link Transport} delivers to this server. Implemented by the Raft
 * node; transports call it from their own threads.
 */
public interface MessageHandler {

    /**
     * Accepts an inbound message. Returns quickly and never blocks on Raft work: the message
     * is queued for the Raft loop.
     */
    void onMessage(RaftMessage message);

    /**
     * Accepts an inbound snapshot stream. Blocks the calling transport thread while it stores
     * the data (never an I/O event-loop thread), then queues the header for the Raft loop.
     *
     * @param header the InstallSnapshot message
     * @param data   exactly {@code header.meta().size()} bytes; not closed by the handler
     * @throws IOException if the data could not be stored (the sender may retry)
     */
    void onSnapshot(InstallSnapshot header, InputStream data) throws IOException;
}
