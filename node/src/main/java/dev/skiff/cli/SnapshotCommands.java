package dev.skiff.cli;

import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code skiff snapshot save|restore}: back up and restore the cluster's state. */
@Command(name = "snapshot", mixinStandardHelpOptions = true, description = "Save or restore a snapshot.",
        subcommands = {SnapshotCommands.Save.class, SnapshotCommands.Restore.class})
final class SnapshotCommands {

    @Command(name = "save", mixinStandardHelpOptions = true, description = "Download the latest snapshot to a file.")
    static final class Save implements Callable<Integer> {
        @Mixin ClientOptions opts;
        @Parameters(index = "0", description = "Where to write the snapshot.") Path file;

        @Override
        public Integer call() throws Exception {
            HttpResponse<InputStream> r = opts.client().stream("GET", "/v1/snapshot", HttpRequest.BodyPublishers.noBody());
            if (r.statusCode() != 200) {
                try (InputStream in = r.body()) {
                    System.err.println("skiff: HTTP " + r.statusCode() + ": " + new String(in.readAllBytes()));
                }
                return Main.EXIT_FAILURE;
            }
            Path tmp = file.resolveSibling(file.getFileName() + ".part");
            try (InputStream in = r.body()) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            System.out.println("saved snapshot index " + r.headers().firstValue("X-Skiff-Snapshot-Index").orElse("?")
                    + " (" + Files.size(file) + " bytes) to " + file);
            return 0;
        }
    }

    @Command(name = "restore", mixinStandardHelpOptions = true, description = "Replace the cluster's state with a snapshot file.")
    static final class Restore implements Callable<Integer> {
        @Mixin ClientOptions opts;
        @Parameters(index = "0", description = "A snapshot saved with 'skiff snapshot save'.") Path file;

        @Override
        public Integer call() throws Exception {
            if (!Files.isReadable(file)) {
                throw new IllegalArgumentException("snapshot file " + file + " is not readable");
            }
            return KvCommands.finish(opts.client().send("PUT", "/v1/snapshot", HttpRequest.BodyPublishers.ofFile(file)), false);
        }
    }
}
