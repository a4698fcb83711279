/**
 * Membership housekeeping the leader does on its own, after Consul's autopilot: removing
 * members that have been unreachable for too long ({@link dev.skiff.autopilot.DeadMemberCleanup}).
 * Uses only the public {@link dev.skiff.raft.Raft} interface.
 */
package dev.skiff.autopilot;
