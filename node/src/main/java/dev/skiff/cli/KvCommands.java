package dev.skiff.cli;

import dev.skiff.client.Consistency;
import dev.skiff.client.DeleteResult;
import dev.skiff.client.KeyValue;
import dev.skiff.client.KvPage;
import dev.skiff.client.SkiffClient;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code skiff kv put|get|delete|list}: the KV API from the shell, byte-exact. */
@Command(name = "kv", mixinStandardHelpOptions = true, description = "Read and write keys.",
        subcommands = {KvCommands.Put.class, KvCommands.Get.class, KvCommands.Delete.class, KvCommands.ListKeys.class})
final class KvCommands {

    /** Values read from a file or stdin beyond this are refused before anything is sent. */
    static final long MAX_VALUE_FILE_BYTES = 64L << 20;


    static Consistency consistency(String value) {
        try {
            return Consistency.valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--consistency must be stale, default or consistent, got '" + value + "'");
        }
    }

    @Command(name = "put", mixinStandardHelpOptions = true, description = {
            "Set a key (optionally compare-and-set). The value is VALUE as given, the bytes of --file PATH, "
                    + "or stdin when VALUE is '-'. Prints {\"index\":N}, the key's new modifyIndex.",
            "Arguments are never expanded from @files: a VALUE starting with '@' is refused; use --file."})
    static final class Put implements Callable<Integer> {
        @Mixin ClientOptions opts;
        @Parameters(index = "0", paramLabel = "KEY", description = "The key.") String key;
        @Parameters(index = "1", arity = "0..1", paramLabel = "VALUE", description = "The value, or '-' to read it from stdin.") String value;
        @Option(names = "--file", paramLabel = "PATH", description = "Read the value from this file (binary-safe).") Path file;
        @Option(names = "--cas", paramLabel = "INDEX", description = "Only if the key's modifyIndex is this (0: only if absent).") Long cas;

        @Override
        public Integer call() throws IOException {
            byte[] bytes = value();
            try (SkiffClient client = opts.client()) {
                long index = cas == null ? client.put(key, bytes) : client.cas(key, bytes, cas);
                Output.json(Map.of("index", index));
            }
            return 0;
        }

        private byte[] value() throws IOException {
            if (file != null && value != null) {
                throw new IllegalArgumentException("give the value either as VALUE or with --file, not both");
            }
            if (file != null) {
                return readFile(file);
            }
            if (value == null) {
                throw new IllegalArgumentException("missing VALUE: give it as an argument, with --file PATH, or '-' to read stdin");
            }
            if (value.equals("-")) {
                byte[] in = System.in.readNBytes((int) MAX_VALUE_FILE_BYTES + 1);
                if (in.length > MAX_VALUE_FILE_BYTES) {
                    throw new IllegalArgumentException("stdin holds more than " + MAX_VALUE_FILE_BYTES + " bytes; values are at most 1 MiB by default");
                }
                return in;
            }
            if (value.startsWith("@")) {
                throw new IllegalArgumentException("VALUE '" + value + "' starts with '@': skiff does not read arguments from @files. "
                        + "For a file's contents use --file " + value.substring(1) + "; to store the text itself pipe it: "
                        + "printf '%s' '" + value + "' | skiff kv put " + key + " -");
            }
            return value.getBytes(StandardCharsets.UTF_8);
        }

        private static byte[] readFile(Path file) throws IOException {
            try {
                if (Files.isDirectory(file)) {
                    throw new IllegalArgumentException("--file " + file + " is a directory, not a file");
                }
                long size = Files.size(file);
                if (size > MAX_VALUE_FILE_BYTES) {
                    throw new IllegalArgumentException("--file " + file + " has " + size + " bytes; values are at most 1 MiB by default");
                }
                return Files.readAllBytes(file);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException("--file " + file + " does not exist");
            } catch (java.nio.file.AccessDeniedException e) {
                throw new IllegalArgumentException("--file " + file + " is not readable (permission denied)");
            }
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = {
            "Write a key's value to stdout, exactly its bytes (no newline added).",
            "With --detailed, print the key's metadata (modifyIndex for --cas, createIndex) instead."})
    static final class Get implements Callable<Integer> {
        @Mixin ClientOptions opts;
        @Mixin Output output;
        @Parameters(index = "0", paramLabel = "KEY", description = "The key.") String key;
        @Option(names = "--consistency", defaultValue = "default", paramLabel = "MODE",
                description = "stale, default or consistent (default ${DEFAULT-VALUE}).") String consistency;
        @Option(names = "--detailed", description = "Print the key, its indexes and its value (-o json: base64; table: text or a size).")
        boolean detailed;

        @Override
        public Integer call() throws IOException {
            Consistency mode = consistency(consistency);
            try (SkiffClient client = opts.client()) {
                Optional<KeyValue> kv = detailed ? client.getDetailed(key, mode) : client.get(key, mode);
                if (kv.isEmpty()) {
                    System.err.println("skiff: no such key: " + key);
                    return Main.EXIT_FAILURE;
                }
                if (!detailed) {
                    PrintStream out = System.out;
                    out.write(kv.get().value());
                    out.flush();
                    if (out.checkError()) {
                        throw new IOException("could not write the value to stdout");
                    }
                    return 0;
                }
                print(kv.get());
            }
            return 0;
        }

        private void print(KeyValue kv) {
            if (output.table()) {
                String text = Output.printable(kv.value());
                Output.table(List.of(
                        List.of("key", kv.key()),
                        List.of("modifyIndex", Long.toString(kv.modifyIndex())),
                        List.of("createIndex", Long.toString(kv.createIndex())),
                        List.of("size", kv.value().length + " bytes"),
                        List.of("value", text == null ? "<binary; 'skiff kv get " + kv.key() + " > FILE' writes its bytes>" : text)));
            } else {
                Output.json(item(kv));
            }
        }
    }

    static Map<String, Object> item(KeyValue kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", kv.key());
        m.put("value", Base64.getEncoder().encodeToString(kv.value()));
        m.put("modifyIndex", kv.modifyIndex());
        m.put("createIndex", kv.createIndex());
        m.put("size", kv.value().length);
        return m;
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a key. Prints {\"index\":N,\"deleted\":true|false}.")
    static final class Delete implements Callable<Integer> {
        @Mixin ClientOptions opts;
        @Parameters(index = "0", paramLabel = "KEY", description = "The key.") String key;
        @Option(names = "--cas", paramLabel = "INDEX", description = "Only if the key's modifyIndex is this.") Long cas;

        @Override
        public Integer call() {
            try (SkiffClient client = opts.client()) {
                DeleteResult r = cas == null ? client.delete(key) : client.delete(key, cas);
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("index", r.index());
                out.put("deleted", r.deleted());
                Output.json(out);
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List keys by prefix, one page (-o json: values base64, 'more' says whether keys follow; table: a value preview).")
    static final class ListKeys implements Callable<Integer> {
        @Mixin ClientOptions opts;
        @Mixin Output output;
        @Option(names = "--prefix", defaultValue = "", paramLabel = "PREFIX", description = "Key prefix.") String prefix;
        @Option(names = "--limit", defaultValue = "1000", paramLabel = "N", description = "Page size, 1..10000 (default ${DEFAULT-VALUE}).") int limit;
        @Option(names = "--after", paramLabel = "KEY", description = "Start after this key (the last key of the previous page).") String after;
        @Option(names = "--consistency", defaultValue = "default", paramLabel = "MODE",
                description = "stale, default or consistent (default ${DEFAULT-VALUE}).") String consistency;

        @Override
        public Integer call() {
            if (limit < 1 || limit > 10_000) {
                throw new IllegalArgumentException("--limit must be 1..10000, got " + limit);
            }
            KvPage page;
            try (SkiffClient client = opts.client()) {
                page = client.list(prefix, after, limit, consistency(consistency));
            }
            if (output.table()) {
                List<List<String>> rows = new ArrayList<>();
                rows.add(List.of("KEY", "MODIFY", "CREATE", "SIZE", "VALUE"));
                for (KeyValue kv : page.items()) {
                    rows.add(List.of(kv.key(), Long.toString(kv.modifyIndex()), Long.toString(kv.createIndex()),
                            Integer.toString(kv.value().length), Output.preview(kv.value())));
                }
                Output.table(rows);
                if (page.more()) {
                    String last = page.items().get(page.items().size() - 1).key();
                    System.err.println("skiff: more keys follow: --after '" + last + "'");
                }
            } else {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("items", page.items().stream().map(KvCommands::item).toList());
                out.put("more", page.more());
                Output.json(out);
            }
            return 0;
        }
    }
}
