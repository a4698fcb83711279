package dev.skiff.cli;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code skiff kv put|get|delete|list}: the KV API from the shell. */
@Command(name = "kv", mixinStandardHelpOptions = true, description = "Read and write keys.",
        subcommands = {KvCommands.Put.class, KvCommands.Get.class, KvCommands.Delete.class, KvCommands.ListKeys.class})
final class KvCommands {

    /** Prints a response body and maps its status to the exit code: 0 on 2xx, 1 otherwise. */
    static int finish(HttpResponse<byte[]> r, boolean raw) {
        String body = new String(r.body(), StandardCharsets.UTF_8);
        if (r.statusCode() / 100 == 2) {
            System.out.print(body);
            if (!raw || !body.endsWith("\n")) {
                System.out.println();
            }
            return 0;
        }
        System.err.println("skiff: HTTP " + r.statusCode() + ": " + body);
        return Main.EXIT_FAILURE;
    }

    @Command(name = "put", mixinStandardHelpOptions = true, description = "Set a key (optionally compare-and-set).")
    static final class Put implements Callable<Integer> {
        @Mixin ClientOptions opts;
        @Parameters(index = "0", description = "The key.") String key;
        @Parameters(index = "1", description = "The value.") String value;
        @Option(names = "--cas", description = "Only if the key's modifyIndex is this (0: only if absent).") Long cas;

        @Override
        public Integer call() throws Exception {
            String q = cas == null ? "" : "?cas=" + cas;
            return finish(opts.client().send("PUT", "/v1/kv/" + ApiClient.encodeKey(key) + q,
                    HttpRequest.BodyPublishers.ofString(value)), false);
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Print a key's value.")
    static final class Get implements Callable<Integer> {
        @Mixin ClientOptions opts;
        @Parameters(index = "0", description = "The key.") String key;
        @Option(names = "--consistency", defaultValue = "default", description = "stale, default or consistent.") String consistency;

        @Override
        public Integer call() throws Exception {
            return finish(opts.client().send("GET", "/v1/kv/" + ApiClient.encodeKey(key) + "?consistency=" + consistency,
                    HttpRequest.BodyPublishers.noBody()), true);
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a key.")
    static final class Delete implements Callable<Integer> {
        @Mixin ClientOptions opts;
        @Parameters(index = "0", description = "The key.") String key;
        @Option(names = "--cas", description = "Only if the key's modifyIndex is this.") Long cas;

        @Override
        public Integer call() throws Exception {
            String q = cas == null ? "" : "?cas=" + cas;
            return finish(opts.client().send("DELETE", "/v1/kv/" + ApiClient.encodeKey(key) + q,
                    HttpRequest.BodyPublishers.noBody()), false);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List keys by prefix (JSON, values base64).")
    static final class ListKeys implements Callable<Integer> {
        @Mixin ClientOptions opts;
        @Option(names = "--prefix", defaultValue = "", description = "Key prefix.") String prefix;
        @Option(names = "--limit", defaultValue = "1000", description = "Page size.") int limit;
        @Option(names = "--after", description = "Start after this key (paging).") String after;

        @Override
        public Integer call() throws Exception {
            String q = "?prefix=" + java.net.URLEncoder.encode(prefix, StandardCharsets.UTF_8) + "&limit=" + limit
                    + (after == null ? "" : "&after=" + java.net.URLEncoder.encode(after, StandardCharsets.UTF_8));
            return finish(opts.client().send("GET", "/v1/kv/" + q, HttpRequest.BodyPublishers.noBody()), false);
        }
    }
}
