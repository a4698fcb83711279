/**
 * The replicated key-value store: {@link dev.skiff.kv.KvStateMachine}, the Raft FSM behind the
 * client API, with its commands ({@link dev.skiff.kv.KvCommand}, encoded by
 * {@link dev.skiff.kv.KvCommandCodec}), results ({@link dev.skiff.kv.KvResult}) and
 * point-in-time read views ({@link dev.skiff.kv.KvState}).
 *
 * <p>The state is an immutable, persistent ordered map swapped in through one volatile
 * reference: reads never block applies, and a snapshot is a reference to the current map,
 * streamed out through a checksummed, versioned format while applies go on.
 */
package dev.skiff.kv;
