package dev.skiff.api;

import dev.skiff.raft.FollowerStats;
import dev.skiff.raft.RaftStats;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How far each follower trails the leader, as {@code /v1/status} ({@code followers}) and
 * {@code /metrics} ({@code skiff_raft_follower_*}) report it: the leader's replication state
 * from {@link RaftStats#followers()}, plus the lag, the commit index minus the follower's match
 * index (0 when it has everything committed).
 *
 * @param id                the follower's id
 * @param voter             whether it votes
 * @param matchIndex        highest index known to be on it
 * @param nextIndex         next index the leader sends it
 * @param lag               committed entries it does not have yet
 * @param lastContactMillis time since it last answered the leader, in milliseconds
 */
record FollowerLag(String id, boolean voter, long matchIndex, long nextIndex, long lag, long lastContactMillis) {

    /** One per follower, in configuration order; empty unless {@code stats} is a leader's. */
    static List<FollowerLag> of(RaftStats stats) {
        List<FollowerLag> out = new ArrayList<>(stats.followers().size());
        for (FollowerStats f : stats.followers()) {
            out.add(new FollowerLag(f.id(), f.voter(), f.matchIndex(), f.nextIndex(),
                    Math.max(0, stats.commitIndex() - f.matchIndex()), f.lastContact().toMillis()));
        }
        return out;
    }

    /** The {@code followers} array of {@code /v1/status}. */
    static List<Map<String, Object>> json(RaftStats stats) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (FollowerLag f : of(stats)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", f.id());
            m.put("suffrage", f.voter() ? "voter" : "nonvoter");
            m.put("matchIndex", f.matchIndex());
            m.put("nextIndex", f.nextIndex());
            m.put("lag", f.lag());
            m.put("lastContactMillis", f.lastContactMillis());
            out.add(m);
        }
        return out;
    }
}
