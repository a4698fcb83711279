package dev.skiff.raft;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A consistent view of one server's Raft state, as hashicorp/raft's {@code Stats()} gives it.
 *
 * @param id                       this server's id
 * @param state                    its role
 * @param term                     current term
 * @param leader                   the leader it knows of
 * @param commitIndex              highest index known committed
 * @param appliedIndex             highest index applied to the FSM
 * @param fsmPending               committed entries not yet applied
 * @param lastLogIndex             last index in the log
 * @param lastLogTerm              its term
 * @param lastSnapshotIndex        last index covered by the latest snapshot
 * @param lastSnapshotTerm         its term
 * @param latestConfiguration      the newest configuration (committed or not)
 * @param latestConfigurationIndex index of the entry that created it
 * @param lastContact              time since the leader was last heard from (zero on the
 *                                 leader), or empty if never
 * @param followers                on the leader, each other member's replication state
 *                                 (configuration order); empty on any other server
 * @param forwardedCommands        commands this server forwarded to a leader since it started
 * @param forwardedReads           reads this server asked a leader's read index for since it
 *                                 started (one request serves many)
 */
public record RaftStats(String id, RaftState state, long term, Optional<Server> leader,
                        long commitIndex, long appliedIndex, long fsmPending,
                        long lastLogIndex, long lastLogTerm, long lastSnapshotIndex,
                        long lastSnapshotTerm, Configuration latestConfiguration,
                        long latestConfigurationIndex, Optional<Duration> lastContact,
                        List<FollowerStats> followers, long forwardedCommands, long forwardedReads) {

    /** The protocol version this library speaks (hashicorp's {@code protocol_version}). */
    public static final int PROTOCOL_VERSION = 1;

    /** Number of other voters in the latest configuration (hashicorp's {@code num_peers}). */
    public int numPeers() {
        return (int) latestConfiguration.voters().stream().filter(s -> !s.id().equals(id)).count();
    }

    /** The same data under hashicorp/raft's {@code Stats()} keys, as strings. */
    public Map<String, String> toMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("state", state.name().charAt(0) + state.name().substring(1).toLowerCase());
        m.put("term", Long.toString(term));
        m.put("last_log_index", Long.toString(lastLogIndex));
        m.put("last_log_term", Long.toString(lastLogTerm));
        m.put("commit_index", Long.toString(commitIndex));
        m.put("applied_index", Long.toString(appliedIndex));
        m.put("fsm_pending", Long.toString(fsmPending));
        m.put("last_snapshot_index", Long.toString(lastSnapshotIndex));
        m.put("last_snapshot_term", Long.toString(lastSnapshotTerm));
        m.put("latest_configuration", latestConfiguration.servers().stream()
                .map(s -> "{Suffrage:" + (s.isVoter() ? "Voter" : "Nonvoter") + " ID:" + s.id()
                        + " Address:" + s.address() + "}")
                .collect(Collectors.joining(" ", "[", "]")));
        m.put("latest_configuration_index", Long.toString(latestConfigurationIndex));
        m.put("last_contact", lastContact.map(d -> d.isZero() ? "0" : d.toMillis() + "ms").orElse("never"));
        m.put("num_peers", Integer.toString(numPeers()));
        m.put("protocol_version", Integer.toString(PROTOCOL_VERSION));
        m.put("protocol_version_min", Integer.toString(PROTOCOL_VERSION));
        m.put("protocol_version_max", Integer.toString(PROTOCOL_VERSION));
        m.put("snapshot_version_min", "1");
        m.put("snapshot_version_max", "1");
        return m;
    }
}
