package dev.skiff.cli;

import dev.skiff.client.Member;
import dev.skiff.client.SkiffClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code skiff members [list]|add|remove|update}: the cluster's configuration (API.md §3, §6). */
@Command(name = "members", mixinStandardHelpOptions = true,
        description = "List (the default), add, remove or update the cluster's members.",
        subcommands = {MembersCommands.ListMembers.class, MembersCommands.Add.class, MembersCommands.Remove.class,
                MembersCommands.Update.class})
final class MembersCommands implements Callable<Integer> {

    @Mixin ClientOptions opts;
    @Mixin Output output;

    @Override
    public Integer call() {
        return list(opts, output);
    }

    static int list(ClientOptions opts, Output output) {
        List<Member> members;
        try (SkiffClient client = opts.client()) {
            members = client.members();
        }
        if (output.table()) {
            printTable(members, "");
        } else {
            List<Map<String, Object>> out = new ArrayList<>();
            for (Member m : members) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("id", m.id());
                row.put("raftAddress", m.raftAddress());
                row.put("apiAddress", m.apiAddress());
                row.put("suffrage", m.voter() ? "voter" : "nonvoter");
                out.add(row);
            }
            Output.json(Map.of("members", out));
        }
        return 0;
    }

    static void printTable(List<Member> members, String leaderId) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("ID", "SUFFRAGE", "RAFT ADDRESS", "API ADDRESS", ""));
        for (Member m : members) {
            rows.add(List.of(m.id(), m.voter() ? "voter" : "nonvoter", m.raftAddress(), m.apiAddress(),
                    m.id().equals(leaderId) ? "leader" : ""));
        }
        Output.table(rows);
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the members.")
    static final class ListMembers implements Callable<Integer> {
        @Mixin ClientOptions opts;
        @Mixin Output output;

        @Override
        public Integer call() {
            return list(opts, output);
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = {
            "Add a new member. A voter joins as a non-voter and is promoted once it has caught up.",
            "Prints {\"index\":N}."})
    static final class Add implements Callable<Integer> {
        @Mixin ClientOptions opts;
        @Option(names = "--id", required = true, paramLabel = "ID", description = "The new member's node id.") String id;
        @Option(names = "--raft-addr", required = true, paramLabel = "HOST:PORT", description = "Its raft address.") String raftAddr;
        @Option(names = "--api-addr", required = true, paramLabel = "HOST:PORT", description = "Its API address.") String apiAddr;
        @Option(names = "--nonvoter", description = "Add it as a non-voter (it replicates, never votes).") boolean nonvoter;

        @Override
        public Integer call() {
            HostPort.parse(raftAddr, "--raft-addr");
            HostPort.parse(apiAddr, "--api-addr");
            try (SkiffClient client = opts.client()) {
                Output.json(Map.of("index", client.addMember(new Member(id, raftAddr, apiAddr, !nonvoter))));
            }
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove a member. Prints {\"index\":N}.")
    static final class Remove implements Callable<Integer> {
        @Mixin ClientOptions opts;
        @Parameters(index = "0", paramLabel = "ID", description = "The member's node id.") String id;

        @Override
        public Integer call() {
            try (SkiffClient client = opts.client()) {
                Output.json(Map.of("index", client.removeMember(id)));
            }
            return 0;
        }
    }

    @Command(name = "update", mixinStandardHelpOptions = true,
            description = "Change a member's addresses (a node that moved). Prints {\"index\":N}.")
    static final class Update implements Callable<Integer> {
        @Mixin ClientOptions opts;
        @Parameters(index = "0", paramLabel = "ID", description = "The member's node id.") String id;
        @Option(names = "--raft-addr", paramLabel = "HOST:PORT", description = "Its new raft address.") String raftAddr;
        @Option(names = "--api-addr", paramLabel = "HOST:PORT", description = "Its new API address.") String apiAddr;

        @Override
        public Integer call() {
            if (raftAddr == null && apiAddr == null) {
                throw new IllegalArgumentException("give --raft-addr and/or --api-addr: the addresses to change");
            }
            if (raftAddr != null) {
                HostPort.parse(raftAddr, "--raft-addr");
            }
            if (apiAddr != null) {
                HostPort.parse(apiAddr, "--api-addr");
            }
            try (SkiffClient client = opts.client()) {
                Output.json(Map.of("index", client.updateMember(id, raftAddr, apiAddr)));
            }
            return 0;
        }
    }
}
