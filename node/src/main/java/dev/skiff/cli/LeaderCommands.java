package dev.skiff.cli;

import dev.skiff.client.LeadershipTransfer;
import dev.skiff.client.SkiffClient;
import dev.skiff.discovery.Discovery;
import dev.skiff.discovery.PublishedLeader;
import dev.skiff.storage.StorageContext;
import java.net.URI;
import java.util.Optional;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code skiff leader transfer [--to ID]} and {@code skiff leader show --discovery URI}. */
@Command(name = "leader", mixinStandardHelpOptions = true, description = "Leadership operations.",
        subcommands = {LeaderCommands.Transfer.class, LeaderCommands.Show.class})
final class LeaderCommands {

    @Command(name = "show", mixinStandardHelpOptions = true, description = {
            "Print the leader the cluster's discovery table names (the leader publishes itself there once per term),",
            "without asking any node: {\"id\",\"apiAddress\",\"raftAddress\",\"term\",\"published\"}.",
            "Advisory: right after a leader change the table may name the previous leader for a heartbeat (3 s).",
            "Exits 1 when no leader was ever published."})
    static final class Show implements Callable<Integer> {
        @Option(names = "--discovery", required = true, paramLabel = "URI",
                description = "The nodes' --discovery: dynamodb://TABLE?cluster=NAME or file:///path.") URI discovery;
        @Option(names = "--cluster", description = "Cluster name, as the nodes' --cluster (default: the URI's cluster, else skiff).")
        String cluster;

        @Override
        public Integer call() throws Exception {
            if (discovery.getScheme() == null) {
                throw new IllegalArgumentException("--discovery '" + discovery + "' has no scheme; give dynamodb://TABLE?cluster=NAME or file:///path");
            }
            if ("file".equals(discovery.getScheme()) && !java.nio.file.Files.isDirectory(java.nio.file.Path.of(discovery.getPath()))) {
                // Opening a file table creates its directory; a lookup must not.
                throw new IllegalArgumentException("--discovery " + discovery + ": no such directory; give the directory "
                        + "the nodes' --discovery names");
            }
            StorageContext context = new StorageContext(NodeCommand.clusterName(cluster, discovery), "leader-show", 1, false);
            try (Discovery table = SkiffNode.openDiscovery(discovery, context)) {
                Optional<PublishedLeader> leader = table.publishedLeader();
                if (leader.isEmpty()) {
                    System.err.println("skiff: no leader is published in " + table + " (a leader publishes itself within "
                            + "a heartbeat of its election; is --discovery the one the nodes use?)");
                    return Main.EXIT_FAILURE;
                }
                PublishedLeader l = leader.get();
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("id", l.id());
                out.put("apiAddress", l.apiAddress());
                out.put("raftAddress", l.raftAddress());
                out.put("term", l.term());
                out.put("published", l.published().toString());
                Output.json(out);
            }
            return 0;
        }
    }

    @Command(name = "transfer", mixinStandardHelpOptions = true, description = {
            "Ask the leader to hand leadership over (e.g. before maintenance on its machine).",
            "Prints {\"previousLeader\":ID,\"leader\":ID}."})
    static final class Transfer implements Callable<Integer> {
        @Mixin ClientOptions opts;
        @Option(names = "--to", paramLabel = "ID", description = "The voter to hand over to (default: the most caught-up one).") String to;

        @Override
        public Integer call() {
            try (SkiffClient client = opts.client()) {
                LeadershipTransfer t = client.transferLeadership(to);
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("previousLeader", t.previousLeader());
                out.put("leader", t.leader().isEmpty() ? null : t.leader());
                Output.json(out);
            }
            return 0;
        }
    }
}
