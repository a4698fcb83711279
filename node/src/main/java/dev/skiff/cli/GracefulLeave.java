package dev.skiff.cli;

import dev.skiff.api.PeerApi;
import dev.skiff.raft.Configuration;
import dev.skiff.raft.Raft;
import dev.skiff.raft.RaftState;
import dev.skiff.raft.Server;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node does when it stops for good (its instance is being terminated) rather than for a
 * restart: it hands leadership over, then has the leader remove it from the configuration, as
 * long as at least {@code --min-voters} voters remain (API.md §9, the autoscaling lifecycle).
 *
 * <p>Which of the two a SIGTERM means is said by a marker file, {@code <data-dir>/terminating}:
 * the Terraform module's lifecycle script creates it before it stops the service; a plain
 * {@code systemctl stop} or {@code restart} does not. A marker left from a stop that did not
 * happen (a crash between creating it and the signal) is removed when the node starts, so it
 * never turns a later restart into a leave.
 *
 * <p>Order matters for availability: leadership moves first (one election-free hand-over), so
 * the removal is committed by a leader that stays; removing a leader itself would make it step
 * down and cost the cluster an election timeout. The removal is asked of the leader through
 * its API, exactly as an operator would ({@code DELETE /v1/cluster/members/{id}}, with the
 * node's management token when ACLs are on, over HTTPS with TLS), so the same validation and
 * queueing of configuration changes applies.
 */
final class GracefulLeave {

    private static final Logger log = LoggerFactory.getLogger(GracefulLeave.class);
    /** The marker's name in the data directory. */
    static final String MARKER = "terminating";
    /** How long the leader may take to hand over before the node removes itself as leader. */
    private static final Duration TRANSFER_WAIT = Duration.ofSeconds(10);
    /** How long the node keeps asking to be removed (well within the unit's TimeoutStopSec of 90 s). */
    private static final Duration REMOVAL_WAIT = Duration.ofSeconds(30);

    private final String id;
    private final Raft raft;
    private final int minVoters;
    private final PeerApi peerApi;
    private final String aclToken;

    /**
     * @param aclToken the management token (ACLs on), or null
     */
    GracefulLeave(String id, Raft raft, int minVoters, PeerApi peerApi, String aclToken) {
        this.id = id;
        this.raft = raft;
        this.minVoters = minVoters;
        this.peerApi = peerApi;
        this.aclToken = aclToken;
    }

    /** Whether the stop under way is a termination: the marker exists. */
    static boolean terminating(Path dataDir) {
        return Files.exists(dataDir.resolve(MARKER));
    }

    /** At start: removes a marker left by a termination that did not happen. */
    static void clearStaleMarker(Path dataDir) throws IOException {
        if (Files.deleteIfExists(dataDir.resolve(MARKER))) {
            log.warn("removed a stale {} marker: it was created for a stop that did not happen; this start is a restart "
                    + "and the node keeps its membership", dataDir.resolve(MARKER));
        }
    }

    /** Hands leadership over, and leaves the configuration if that keeps at least {@code minVoters} voters. */
    void leave() throws InterruptedException {
        Configuration config = raft.configuration();
        Optional<Server> self = config.server(id);
        if (self.isEmpty()) {
            log.info("terminating: node {} is not in the configuration; nothing to leave", id);
            return;
        }
        int voters = config.voters().size();
        if (self.get().isVoter() && voters - 1 < minVoters) {
            log.warn("terminating: node {} stays a member: removing it would leave {} voters, fewer than --min-voters {}. "
                    + "Its replacement takes its place when it joins with the same id, or remove it with "
                    + "DELETE /v1/cluster/members/{} once another voter has joined", id, voters - 1, minVoters, id);
            handOverLeadership();
            return;
        }
        log.info("terminating: node {} leaves the cluster ({} voters, --min-voters {})", id, voters, minVoters);
        handOverLeadership();
        removeSelf();
    }

    /** A leader with other voters transfers leadership and waits until another server leads. */
    private void handOverLeadership() throws InterruptedException {
        if (raft.state() != RaftState.LEADER || raft.configuration().voters().size() < 2) {
            return;
        }
        try {
            raft.leadershipTransfer().get(TRANSFER_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.warn("terminating: leadership transfer from {} failed ({}); it removes itself as leader instead, and the "
                    + "others elect a leader after an election timeout", id, e.toString());
            return;
        }
        long deadline = System.nanoTime() + TRANSFER_WAIT.toNanos();
        while (System.nanoTime() < deadline && raft.leader().map(Server::id).orElse(id).equals(id)) {
            TimeUnit.MILLISECONDS.sleep(20);
        }
        log.info("terminating: handed leadership over from {} to {}", id, raft.leader().map(Server::id).orElse("?"));
    }

    /** Asks whoever leads to remove this node until it answers that it did (or that it is not a member). */
    private void removeSelf() throws InterruptedException {
        HttpClient client = peerApi.client(Duration.ofSeconds(2)).build();
        String path = "/v1/cluster/members/" + URLEncoder.encode(id, StandardCharsets.UTF_8);
        long deadline = System.nanoTime() + REMOVAL_WAIT.toNanos();
        int attempt = 0;
        while (System.nanoTime() < deadline) {
            attempt++;
            Optional<Server> leader = raft.leader();
            try {
                if (leader.isEmpty()) {
                    log.info("terminating: removal attempt {}: no leader known yet", attempt);
                } else if (leader.get().id().equals(id)) {
                    long index = raft.removeServer(id, 0, REMOVAL_WAIT).get(REMOVAL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                    log.info("terminating: node {} removed itself as leader at index {}", id, index);
                    return;
                } else {
                    HttpResponse<String> r = SkiffNode.send(client, peerApi.uri(leader.get().apiAddress(), "/"), "DELETE",
                            path, "", aclToken);
                    if (r.statusCode() == 200 || r.statusCode() == 404) {
                        log.info("terminating: node {} removed from the configuration by leader {}: {}", id,
                                leader.get().id(), r.statusCode() == 200 ? r.body() : "it was no longer a member");
                        return;
                    }
                    log.info("terminating: removal attempt {} via leader {} refused status={} body={}", attempt,
                            leader.get().id(), r.statusCode(), r.body());
                }
            } catch (IOException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                log.info("terminating: removal attempt {} failed: {}", attempt, e.toString());
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        log.warn("terminating: node {} could not be removed within {} s; it stops as a member (dead-member cleanup, "
                + "--remove-dead-after, removes it later)", id, REMOVAL_WAIT.toSeconds());
    }
}
