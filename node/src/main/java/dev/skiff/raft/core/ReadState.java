package dev.skiff.raft.core;

/**
 * A read request the leader has confirmed (ReadIndex, thesis §6.4): once the FSM has applied
 * {@code index}, a read of local state answers it linearizably.
 *
 * @param requestId the id the driver gave {@link RaftCore#readIndex}
 * @param index     the commit index recorded when the request arrived
 */
public record ReadState(long requestId, long index) {
}
