package dev.skiff.raft.core;

import dev.skiff.raft.message.RaftMessage;

/**
 * A message the core wants sent.
 *
 * @param address the receiver's transport address
 * @param message the message; an {@link dev.skiff.raft.message.InstallSnapshot} means "stream
 *                this stored snapshot", the driver attaches the data
 */
public record Outbound(String address, RaftMessage message) {
}
