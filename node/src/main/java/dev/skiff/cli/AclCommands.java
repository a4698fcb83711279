package dev.skiff.cli;

import dev.skiff.client.AclRule;
import dev.skiff.client.AclToken;
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

/** {@code skiff acl token create|list|delete}: the cluster's ACL tokens (API.md §7). Needs an operator token. */
@Command(name = "acl", mixinStandardHelpOptions = true, description = "Manage ACL tokens.",
        subcommands = AclCommands.Tokens.class)
final class AclCommands {

    @Command(name = "token", mixinStandardHelpOptions = true, description = "Create, list or delete ACL tokens.",
            subcommands = {Create.class, ListTokens.class, Delete.class})
    static final class Tokens {
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = {
            "Create a token. Prints it with its secretId, which is shown this once: keep it.",
            "Example: skiff acl token create --description app-reader --rule app/=read --rule app/secret/=deny"})
    static final class Create implements Callable<Integer> {
        @Mixin ClientOptions opts;
        @Mixin Output output;
        @Option(names = "--description", defaultValue = "", paramLabel = "TEXT", description = "Free text for operators.")
        String description;
        @Option(names = "--rule", paramLabel = "PREFIX=ACCESS", description = "A key rule, repeatable: PREFIX=read, "
                + "PREFIX=write or PREFIX=deny (an empty PREFIX, as in =read, covers every key).")
        List<String> rules = new ArrayList<>();
        @Option(names = "--operator", defaultValue = "none", paramLabel = "none|read|write",
                description = "The operator right: membership, snapshots, leadership transfer, status, ACLs (default ${DEFAULT-VALUE}).")
        String operator;

        @Override
        public Integer call() {
            List<AclRule> parsed = new ArrayList<>();
            for (String r : rules) {
                int eq = r.lastIndexOf('=');
                String access = eq < 0 ? "" : r.substring(eq + 1);
                if (eq < 0 || !List.of("read", "write", "deny").contains(access)) {
                    throw new IllegalArgumentException("--rule takes PREFIX=read, PREFIX=write or PREFIX=deny, got '" + r + "'");
                }
                parsed.add(new AclRule(r.substring(0, eq), access));
            }
            if (!List.of("none", "read", "write").contains(operator)) {
                throw new IllegalArgumentException("--operator takes none, read or write, got '" + operator + "'");
            }
            AclToken t;
            try (SkiffClient client = opts.client()) {
                t = client.createToken(description, parsed, operator);
            }
            print(List.of(t), output, true);
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the tokens (never their secrets).")
    static final class ListTokens implements Callable<Integer> {
        @Mixin ClientOptions opts;
        @Mixin Output output;

        @Override
        public Integer call() {
            List<AclToken> tokens;
            try (SkiffClient client = opts.client()) {
                tokens = client.tokens();
            }
            print(tokens, output, false);
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = {
            "Delete a token by its accessorId; it stops working on every node once they have applied the delete.",
            "Prints {\"deleted\":true|false}."})
    static final class Delete implements Callable<Integer> {
        @Mixin ClientOptions opts;
        @Parameters(index = "0", paramLabel = "ACCESSOR-ID", description = "The token's accessorId (skiff acl token list).")
        String accessorId;

        @Override
        public Integer call() {
            boolean deleted;
            try (SkiffClient client = opts.client()) {
                deleted = client.deleteToken(accessorId);
            }
            Output.json(Map.of("deleted", deleted));
            return 0;
        }
    }

    private static void print(List<AclToken> tokens, Output output, boolean withSecret) {
        if (output.table()) {
            List<List<String>> rows = new ArrayList<>();
            rows.add(withSecret ? List.of("ACCESSOR ID", "SECRET ID", "OPERATOR", "RULES", "DESCRIPTION")
                    : List.of("ACCESSOR ID", "OPERATOR", "RULES", "DESCRIPTION"));
            for (AclToken t : tokens) {
                String rules = String.join(" ", t.rules().stream().map(r -> r.prefix() + "=" + r.access()).toList());
                rows.add(withSecret ? List.of(t.accessorId(), t.secretId(), t.operator(), rules, t.description())
                        : List.of(t.accessorId(), t.operator(), rules, t.description()));
            }
            Output.table(rows);
            return;
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (AclToken t : tokens) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("accessorId", t.accessorId());
            if (withSecret) {
                m.put("secretId", t.secretId());
            }
            m.put("description", t.description());
            m.put("rules", t.rules().stream().map(r -> Map.of("prefix", r.prefix(), "access", r.access())).toList());
            m.put("operator", t.operator());
            m.put("createIndex", t.createIndex());
            out.add(m);
        }
        Output.json(withSecret ? out.get(0) : Map.of("tokens", out));
    }
}
