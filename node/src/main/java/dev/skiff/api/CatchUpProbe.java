package dev.skiff.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Asks a joining server, through its own {@code /v1/status}, whether it follows this leader
 * and has applied the log up to a given index: the condition for promoting a non-voter to
 * voter. Polls on the calling (virtual) thread.
 */
final class CatchUpProbe {

    private static final Duration POLL = Duration.ofMillis(100);

    private final HttpClient client;
    private final PeerApi peers;
    private final String leaderId;

    CatchUpProbe(String leaderId, PeerApi peers) {
        this.leaderId = leaderId;
        this.peers = peers;
        this.client = peers.client(Duration.ofSeconds(2)).build();
    }

    /**
     * Waits up to {@code timeout} for the server at {@code apiAddress} to follow this leader
     * with {@code applied_index >= target}.
     *
     * @param token the ACL token to ask with (the one the join request came with: its own, so
     *              nothing is sent that the requester did not have), or null
     * @return null once it has, else a short description of where it stands
     */
    String awaitCaughtUp(String id, String apiAddress, long target, Duration timeout, String token) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "its status is unknown";
        while (true) {
            try {
                HttpRequest.Builder request = HttpRequest.newBuilder(peers.uri(apiAddress, "/v1/status"))
                        .timeout(Duration.ofSeconds(2)).GET();
                if (token != null) {
                    request.header(AclGuard.TOKEN_HEADER, token);
                }
                HttpResponse<String> r = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
                JsonNode status = Responses.JSON.readTree(r.body());
                long applied = status.path("applied_index").asLong(0);
                String follows = status.path("leader").path("id").asText("");
                if (!status.path("id").asText("").equals(id)) {
                    last = apiAddress + " answers as '" + status.path("id").asText("?") + "', not " + id;
                } else if (!follows.equals(leaderId)) {
                    last = "it does not follow this leader yet (applied " + applied + ")";
                } else if (applied >= target) {
                    return null;
                } else {
                    last = "applied " + applied + " of " + target;
                }
            } catch (IOException e) {
                last = "its API at " + apiAddress + " is unreachable: " + e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
            if (System.nanoTime() + POLL.toNanos() > deadline) {
                return last;
            }
            try {
                Thread.sleep(POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        }
    }
}
