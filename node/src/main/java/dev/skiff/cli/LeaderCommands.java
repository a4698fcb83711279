package dev.skiff.cli;

import dev.skiff.client.LeadershipTransfer;
import dev.skiff.client.SkiffClient;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code skiff leader transfer [--to ID]}. */
@Command(name = "leader", mixinStandardHelpOptions = true, description = "Leadership operations.",
        subcommands = LeaderCommands.Transfer.class)
final class LeaderCommands {


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
