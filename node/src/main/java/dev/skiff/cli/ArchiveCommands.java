package dev.skiff.cli;

import dev.skiff.archive.ArchiveChain;
import dev.skiff.archive.ArchiveLocations;
import dev.skiff.archive.ArchiveObjects;
import dev.skiff.archive.ManifestRecord;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.SnapshotStore;
import dev.skiff.storage.StorageContext;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code skiff archive ls LOCATION}: what a log archive (and the snapshots beside it) can restore. */
@Command(name = "archive", mixinStandardHelpOptions = true, description = "Inspect a log archive (--log-archive).",
        subcommands = {ArchiveCommands.Ls.class})
final class ArchiveCommands {

    @Command(name = "ls", mixinStandardHelpOptions = true, description = {
            "List the restore points of the log archive and snapshots at LOCATION: the snapshots, and each run of",
            "archived entries (first and last index and time). The manifest chain is checked; --verify also reads",
            "and checks every segment."})
    static final class Ls implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "LOCATION", description = "s3://bucket/prefix or file:///dir") URI location;
        @Option(names = "--verify", description = "Download and check every segment too.") boolean verify;
        @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table (default) or json") String output;

        @Override
        public Integer call() throws Exception {
            if (!output.equals("table") && !output.equals("json")) {
                throw new IllegalArgumentException("-o must be table or json, got '" + output + "'");
            }
            if (location.getScheme() == null) {
                throw new IllegalArgumentException("LOCATION '" + location + "' has no scheme; give s3://bucket/prefix or file:///dir");
            }
            StorageContext context = new StorageContext("skiff", "archive-ls", 1, false);
            List<Map<String, Object>> snapshots = new ArrayList<>();
            List<Map<String, Object>> runs = new ArrayList<>();
            try (ArchiveObjects archive = ArchiveLocations.open(location, context, "LOCATION")) {
                SnapshotStore store = RestoreToPoint.sourceSnapshots(location, context);
                try {
                    for (SnapshotMeta m : store.list()) {
                        Map<String, Object> s = new LinkedHashMap<>();
                        s.put("id", m.id());
                        s.put("index", m.index());
                        s.put("term", m.term());
                        s.put("size", m.size());
                        snapshots.add(s);
                    }
                } finally {
                    if (store instanceof AutoCloseable c) {
                        c.close();
                    }
                }
                ArchiveChain chain = ArchiveChain.read(archive);
                Map<String, Object> run = null;
                for (ManifestRecord link : chain.links()) {
                    if (verify) {
                        ArchiveChain.readSegment(archive, link);
                    }
                    if (run == null || link.baseSnapshotIndex() != null) {
                        run = new LinkedHashMap<>();
                        run.put("baseSnapshotIndex", link.baseSnapshotIndex() == null ? 0 : link.baseSnapshotIndex());
                        run.put("firstIndex", link.firstIndex());
                        run.put("firstTime", null);
                        run.put("segments", 0);
                        runs.add(run);
                    }
                    run.put("lastIndex", link.lastIndex());
                    run.put("segments", (int) run.get("segments") + 1);
                    if (link.minTime() != null) {
                        if (run.get("firstTime") == null) {
                            run.put("firstTime", Instant.ofEpochMilli(link.minTime()).toString());
                        }
                        run.put("lastTime", Instant.ofEpochMilli(link.maxTime()).toString());
                    }
                }
            }
            if (output.equals("json")) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("location", location.toString());
                out.put("snapshots", snapshots);
                out.put("archive", runs);
                Output.json(out);
                return 0;
            }
            System.out.println("SNAPSHOTS (" + snapshots.size() + ")");
            for (Map<String, Object> s : snapshots) {
                System.out.printf("  %-45s index %-10s term %s%n", s.get("id"), s.get("index"), s.get("term"));
            }
            System.out.println("ARCHIVED ENTRIES (restore to any index or time within a run" + (verify ? ", every segment verified" : "")
                    + ")");
            if (runs.isEmpty()) {
                System.out.println("  none");
            }
            for (Map<String, Object> r : runs) {
                System.out.printf("  index %s..%s  time %s .. %s  (%s segments%s)%n", r.get("firstIndex"), r.get("lastIndex"),
                        r.get("firstTime"), r.get("lastTime"), r.get("segments"),
                        ((Number) r.get("baseSnapshotIndex")).longValue() > 0
                                ? ", needs a snapshot at index >= " + r.get("baseSnapshotIndex") : "");
            }
            return 0;
        }
    }
}
