package dev.skiff.client;

/**
 * The result of a leadership transfer.
 *
 * @param previousLeader the node that led and handed over
 * @param leader         the leader it knew when it answered ("" if the election was still on)
 */
public record LeadershipTransfer(String previousLeader, String leader) {
}
