/**
 * The consensus library: {@link dev.skiff.raft.Raft} and its SPI (FSM, log, stable and
 * snapshot stores, transport), in the spirit of hashicorp/raft.
 *
 * <p>Depends on nothing else in Skiff. The protocol itself lives in
 * {@link dev.skiff.raft.core}, a deterministic state machine; {@code RaftNode} owns one and runs
 * it on a single loop thread.
 */
package dev.skiff.raft;
