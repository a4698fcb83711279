package dev.skiff.storage;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * What the node's storage back-ends are going through right now — the log and stable store,
 * the snapshot store (S3 or disk), the discovery table — for {@code /v1/status} and
 * {@code /metrics}, so that an S3 or DynamoDB outage is visible while the cluster keeps serving
 * from its local log. Thread-safe.
 */
public final class StorageHealth {

    /** The log and stable store: a failed write stops the node from accepting writes. */
    public static final String LOG = "log";
    /** The snapshot store: failures delay snapshots and log compaction, nothing else. */
    public static final String SNAPSHOTS = "snapshots";
    /** The discovery table: failures delay joins and address updates. */
    public static final String DISCOVERY = "discovery";

    private final Map<String, String> problems = new ConcurrentHashMap<>();
    private final Map<String, Supplier<Optional<String>>> probes = new ConcurrentHashMap<>();

    /** Records that {@code component} is failing ({@code problem} present) or healthy again. */
    public void record(String component, Optional<String> problem) {
        problems.put(component, problem.orElse(""));
    }

    /**
     * Asks {@code probe} for {@code component}'s problem whenever health is read (it must
     * answer at once). A problem the probe reports wins over a recorded one; a recorded one
     * stands while the probe reports none (the store answers, but the last snapshot still failed).
     */
    public void watch(String component, Supplier<Optional<String>> probe) {
        probes.put(component, probe);
    }

    /** Every known component → its current problem, or empty when healthy; sorted by name. */
    public Map<String, Optional<String>> current() {
        Map<String, Optional<String>> out = new TreeMap<>();
        problems.forEach((c, p) -> out.put(c, p.isEmpty() ? Optional.empty() : Optional.of(p)));
        probes.forEach((c, probe) -> {
            Optional<String> probed = probe.get();
            if (probed.isPresent() || !out.containsKey(c)) {
                out.put(c, probed);
            }
        });
        return out;
    }

    /** The problem of one component, if it has one (unknown components are healthy). */
    public Optional<String> problem(String component) {
        return Optional.ofNullable(current().get(component)).flatMap(p -> p);
    }
}
