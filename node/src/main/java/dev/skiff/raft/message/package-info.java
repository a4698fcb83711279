/**
 * The Raft RPC messages, one record per message type, under the sealed
 * {@link dev.skiff.raft.message.RaftMessage}.
 */
package dev.skiff.raft.message;
