package dev.skiff.client;

/**
 * A member of the cluster's configuration.
 *
 * @param id          the node id ({@code [A-Za-z0-9][A-Za-z0-9._-]{0,63}})
 * @param raftAddress its raft port, {@code host:port}
 * @param apiAddress  its API, {@code host:port} ("" if it never said)
 * @param voter       whether it votes and counts toward the quorum
 */
public record Member(String id, String raftAddress, String apiAddress, boolean voter) {
}
