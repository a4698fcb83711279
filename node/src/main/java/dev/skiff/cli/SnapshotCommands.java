package dev.skiff.cli;

import dev.skiff.client.SkiffClient;
import dev.skiff.client.SnapshotInfo;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code skiff snapshot take|save|restore}: snapshots and backups of the cluster's state. */
@Command(name = "snapshot", mixinStandardHelpOptions = true, description = "Take, save or restore a snapshot.",
        subcommands = {SnapshotCommands.Take.class, SnapshotCommands.Save.class, SnapshotCommands.Restore.class})
final class SnapshotCommands {


    @Command(name = "take", mixinStandardHelpOptions = true,
            description = "Take a snapshot now (the log is compacted up to it). Prints {\"index\",\"term\",\"id\",\"size\"}.")
    static final class Take implements Callable<Integer> {
        @Mixin ClientOptions opts;

        @Override
        public Integer call() {
            try (SkiffClient client = opts.client()) {
                SnapshotInfo s = client.takeSnapshot();
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("index", s.index());
                out.put("term", s.term());
                out.put("id", s.id());
                out.put("size", s.size());
                Output.json(out);
            }
            return 0;
        }
    }

    @Command(name = "save", mixinStandardHelpOptions = true, description = {
            "Download the latest snapshot to FILE (written to FILE.part, renamed when complete).",
            "Progress goes to stderr once the transfer takes over a second; the transfer may take --timeout plus a second per MiB."})
    static final class Save implements Callable<Integer> {
        @Mixin ClientOptions opts;
        @Parameters(index = "0", paramLabel = "FILE", description = "Where to write the snapshot.") Path file;
        @Option(names = {"-q", "--quiet"}, description = "No progress on stderr.") boolean quiet;

        @Override
        public Integer call() {
            try (SkiffClient client = opts.client();
                 ProgressReporter progress = new ProgressReporter("snapshot save", quiet)) {
                SnapshotInfo s = client.saveSnapshot(file, progress);
                progress.done();
                System.out.println("saved snapshot index " + s.index() + " term " + s.term() + " (" + s.size() + " bytes) to " + file);
            }
            return 0;
        }
    }

    @Command(name = "restore", mixinStandardHelpOptions = true, description = {
            "Replace the cluster's state with a snapshot file (the node checks the whole file first).",
            "Progress goes to stderr once the upload takes over a second; it may take --timeout plus a second per MiB."})
    static final class Restore implements Callable<Integer> {
        @Mixin ClientOptions opts;
        @Parameters(index = "0", paramLabel = "FILE", description = "A snapshot saved with 'skiff snapshot save'.") Path file;
        @Option(names = {"-q", "--quiet"}, description = "No progress on stderr.") boolean quiet;

        @Override
        public Integer call() {
            if (java.nio.file.Files.isDirectory(file)) {
                throw new IllegalArgumentException(file + " is a directory; give the snapshot file");
            }
            if (!java.nio.file.Files.isReadable(file)) {
                throw new IllegalArgumentException("snapshot file " + file + (java.nio.file.Files.exists(file)
                        ? " is not readable (permission denied)" : " does not exist"));
            }
            try (SkiffClient client = opts.client();
                 ProgressReporter progress = new ProgressReporter("snapshot restore", quiet)) {
                long index = client.restoreSnapshot(file, progress);
                progress.done();
                Output.json(Map.of("index", index));
            }
            return 0;
        }
    }
}
