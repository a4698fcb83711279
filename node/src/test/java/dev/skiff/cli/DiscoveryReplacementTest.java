package dev.skiff.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skiff.FreePorts;
import dev.skiff.raft.RaftConfig;
import dev.skiff.raft.RaftState;
import dev.skiff.raft.Server;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The autoscaling-group replacement with {@code --discovery} and {@code --remove-dead-after}: a
 * node dies for good, a new one (new id, new addresses, empty data dir) starts with the same
 * flags, joins through the table, and the dead one is removed, with no operator step.
 */
class DiscoveryReplacementTest {

    private static final AutopilotSettings CLEANUP = new AutopilotSettings(Duration.ofSeconds(2), 3, 1000);

    @TempDir
    Path tmp;
    private final List<SkiffNode> nodes = new ArrayList<>();

    @AfterEach
    void stop() {
        nodes.forEach(n -> n.close(false));
    }

    private NodeSettings settings(String id, URI discovery) {
        HostPort api = new HostPort("127.0.0.1", FreePorts.next());
        HostPort raft = new HostPort("127.0.0.1", FreePorts.next());
        Path data = tmp.resolve(id);
        StorageSettings storage = new StorageSettings("it", null, null, discovery, null, false, Duration.ofMillis(200));
        return new NodeSettings(id, api, raft, api, raft, data, data.resolve("snapshots"), false, List.of(), null,
                NodeSettings.DEFAULT_MAX_VALUE_BYTES, NodeSettings.DEFAULT_REQUEST_TIMEOUT, RaftConfig.defaults(id), storage,
                CLEANUP);
    }

    private static SkiffNode start(NodeSettings s) {
        try {
            return SkiffNode.start(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitVoters(List<SkiffNode> running, List<String> ids) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            for (SkiffNode n : running) {
                assertThat(n.raft.leader()).isPresent();
                assertThat(n.raft.configuration().servers()).extracting(Server::id).containsExactlyInAnyOrderElementsOf(ids);
                assertThat(n.raft.configuration().voters()).hasSize(ids.size());
            }
        });
    }

    @Test
    void when_aDeadNodeIsReplacedByANewOne_then_theNewOneJoinsAndTheDeadOneIsRemoved() {
        URI table = tmp.resolve("discovery").toUri();
        List<CompletableFuture<SkiffNode>> starting = new ArrayList<>();
        for (String id : List.of("n1", "n2", "n3")) {
            NodeSettings s = settings(id, table);
            starting.add(CompletableFuture.supplyAsync(() -> start(s)));
        }
        starting.forEach(f -> nodes.add(f.join()));
        awaitVoters(nodes, List.of("n1", "n2", "n3"));

        SkiffNode dead = nodes.stream().filter(n -> n.raft.state() != RaftState.LEADER).findFirst().orElseThrow();
        dead.close(false);
        nodes.remove(dead);
        // At --min-voters 3 the dead voter stays until a replacement has joined.
        await().pollDelay(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(5)).until(() -> true);
        assertThat(nodes.get(0).raft.configuration().voters()).extracting(Server::id).contains(dead.settings.id());

        nodes.add(start(settings("n4", table)));
        List<String> expected = new ArrayList<>(List.of("n1", "n2", "n3", "n4"));
        expected.remove(dead.settings.id());
        awaitVoters(nodes, expected);
        System.out.println("replacement: n4 joined through discovery and " + dead.settings.id() + " was removed; voters "
                + nodes.get(0).raft.configuration().voters().stream().map(Server::id).toList());
    }
}
