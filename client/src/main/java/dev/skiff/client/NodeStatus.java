package dev.skiff.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * One node's {@code GET /v1/status} (API.md §3): its view of the cluster.
 *
 * @param id                the node's id
 * @param state             {@code leader}, {@code follower}, {@code candidate}, {@code shutdown}...
 * @param term              its current term
 * @param leaderId          the leader it knows, or "" for none
 * @param leaderApiAddress  that leader's API address, or ""
 * @param commitIndex       its commit index
 * @param appliedIndex      its applied index
 * @param lastLogIndex      its last log index
 * @param lastLogTerm       the term of that entry
 * @param lastSnapshotIndex its last snapshot's index
 * @param members           the latest configuration it knows
 * @param lastContact       time since it last heard from the leader, as the node says it
 *                          ({@code "12ms"}, {@code "never"})
 * @param storage           storage health: component → {@code "ok"} or what is failing
 * @param raw               the whole response, fields this record does not name included
 */
public record NodeStatus(String id, String state, long term, String leaderId, String leaderApiAddress,
                         long commitIndex, long appliedIndex, long lastLogIndex, long lastLogTerm,
                         long lastSnapshotIndex, List<Member> members, String lastContact,
                         Map<String, String> storage, JsonNode raw) {

    public NodeStatus {
        members = List.copyOf(members);
        storage = Map.copyOf(storage);
    }

    /** Whether this node is the leader. */
    public boolean isLeader() {
        return "leader".equals(state);
    }
}
