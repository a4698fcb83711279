package dev.skiff.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skiff.raft.Server;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;

/**
 * On a follower: the leader's commit index, asked from the leader's own {@code /readyz}. A
 * follower's Raft commit index is capped at the last entry it has received, so a follower that
 * is thousands of entries behind sees no lag in its own numbers; only the leader knows how far
 * the cluster has committed. Answers are reused for {@link #MAX_AGE} so that frequent health
 * checks cost the leader at most one request per second from each follower.
 */
final class LeaderCommitIndex {

    /**
     * Marks the request as this probe: the node asked answers from what it knows itself and
     * never asks on in turn (two followers that each take the other for the leader would
     * otherwise ask each other in a loop).
     */
    static final String PROBE_HEADER = "X-Skiff-Readiness-Probe";
    /** How long an answer is reused. */
    static final Duration MAX_AGE = Duration.ofSeconds(1);
    private static final Duration TIMEOUT = Duration.ofSeconds(1);

    private final HttpClient client;
    private final PeerApi peers;
    private final ReentrantLock lock = new ReentrantLock();
    private String cachedLeader;
    private long cachedIndex;
    private long cachedAtNanos;

    LeaderCommitIndex(PeerApi peers) {
        this.peers = peers;
        this.client = peers.client(TIMEOUT).build();
    }

    /**
     * The commit index {@code leader} reports.
     *
     * @throws IOException naming the address when the leader's API does not answer with one
     */
    long of(Server leader) throws IOException {
        // A lock rather than synchronized: the request blocks, and a virtual thread must not pin its carrier.
        lock.lock();
        try {
            return fetch(leader);
        } finally {
            lock.unlock();
        }
    }

    private long fetch(Server leader) throws IOException {
        long now = System.nanoTime();
        if (leader.id().equals(cachedLeader) && now - cachedAtNanos < MAX_AGE.toNanos()) {
            return cachedIndex;
        }
        URI uri = peers.uri(leader.apiAddress(), "/readyz");
        HttpResponse<String> r;
        try {
            r = client.send(HttpRequest.newBuilder(uri).timeout(TIMEOUT).header(PROBE_HEADER, "1").GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking the leader's API at " + leader.apiAddress(), e);
        } catch (IOException e) {
            throw new IOException("the leader's API at " + leader.apiAddress() + " did not answer: " + e, e);
        }
        JsonNode body;
        try {
            body = Responses.JSON.readTree(r.body());
        } catch (IOException e) {
            body = Responses.JSON.missingNode();
        }
        JsonNode commit = body.path("commit_index");
        if (!"leader".equals(body.path("state").asText()) || !leader.id().equals(body.path("id").asText())) {
            throw new IOException("the API at " + leader.apiAddress() + " answers as " + body.path("id").asText("?")
                    + " in state " + body.path("state").asText("?") + ", not as the leader " + leader.id());
        }
        if (!commit.canConvertToLong()) {
            throw new IOException("the leader's API at " + leader.apiAddress() + " answered " + r.statusCode()
                    + " without " + leader.id() + "'s commit index");
        }
        cachedLeader = leader.id();
        cachedIndex = commit.asLong();
        cachedAtNanos = now;
        return cachedIndex;
    }
}
