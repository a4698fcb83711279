package dev.skiff.cli;

import dev.skiff.client.NodeStatus;
import dev.skiff.client.SkiffClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code skiff status}: a node's {@code /v1/status}, as JSON or a table. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the answering node's Raft status (-o json: /v1/status as it is; table: a summary and the members).")
final class StatusCommand implements Callable<Integer> {

    @Mixin ClientOptions opts;
    @Mixin Output output;

    @Override
    public Integer call() {
        NodeStatus s;
        try (SkiffClient client = opts.client()) {
            s = client.status();
        }
        if (!output.table()) {
            Output.prettyJson(s.raw());
            return 0;
        }
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("node", s.id() + " (" + s.state() + ", term " + s.term() + ")"));
        rows.add(List.of("leader", s.leaderId().isEmpty() ? "none known" : s.leaderId() + " at " + s.leaderApiAddress()));
        rows.add(List.of("indexes", "commit " + s.commitIndex() + ", applied " + s.appliedIndex() + ", last log "
                + s.lastLogIndex() + " (term " + s.lastLogTerm() + "), last snapshot " + s.lastSnapshotIndex()));
        rows.add(List.of("last contact", s.lastContact()));
        rows.add(List.of("storage", s.storage().isEmpty() ? "-" : s.storage().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(", "))));
        Output.table(rows);
        System.out.println();
        MembersCommands.printTable(s.members(), s.leaderId());
        return 0;
    }
}
