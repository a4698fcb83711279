package dev.skiff.wal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.raft.LogEntry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a writing process with SIGKILL at random moments and checks that every entry it
 * acknowledged is there, intact, after every restart. {@code -Dskiff.crash.kills=N} sets the
 * number of kills (default 50), {@code -Dskiff.crash.seed=S} replays a run.
 */
class SegmentedLogStoreCrashTest {

    @TempDir
    Path dir;

    @Test
    void when_writerIsKilledAtRandomMoments_then_noAcknowledgedEntryIsEverLost() throws Exception {
        int kills = Integer.getInteger("skiff.crash.kills", 50);
        long seed = Long.getLong("skiff.crash.seed", System.nanoTime());
        SplittableRandom random = new SplittableRandom(seed);
        Path data = dir.resolve("wal");
        Path childErr = dir.resolve("child.err");
        /* index -> term of every acknowledged entry that is still supposed to be in the log */
        TreeMap<Long, Long> acked = new TreeMap<>();
        long acks = 0;
        long verified = 0;
        int tornTails = 0;
        int k = 0;
        try {
            for (k = 1; k <= kills; k++) {
                int killAfterAcks = random.nextInt(60);
                // Half the kills aim at the write of a big batch, to tear it.
                boolean aimAtBigWrite = random.nextBoolean();
                Process child = new ProcessBuilder(javaBinary(), "-Xmx64m", "-XX:+UseSerialGC",
                        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                        CrashChild.class.getName(), data.toString(), Long.toString(random.nextLong()),
                        Integer.toString(k), Integer.toString(aimAtBigWrite ? killAfterAcks : -1))
                        .redirectError(childErr.toFile()).start();
                try (BufferedReader out = new BufferedReader(
                        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                    int seen = 0;
                    String line;
                    boolean killed = false;
                    while ((line = out.readLine()) != null) {
                        seen += record(line, k, acked);
                        if (!killed && seen >= killAfterAcks && (!aimAtBigWrite || line.equals("writing"))) {
                            // A random delay (not a wait for a condition) moves the kill to any
                            // point of the write path: encode, write, fsync, roll, truncation.
                            LockSupport.parkNanos(random.nextLong(aimAtBigWrite ? 1_000_000 : 500_000));
                            // SIGKILL through the handle: Process.destroyForcibly would also
                            // close our end of the pipe, losing acks printed before the kill.
                            child.toHandle().destroyForcibly();
                            killed = true;
                        }
                    }
                    acks += seen;
                    if (!killed) {
                        throw new AssertionError("child exited by itself with " + child.waitFor() + ": "
                                + Files.readString(childErr));
                    }
                }
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
                tornTails += tornTail(data) ? 1 : 0;
                verified += verify(data, acked);
            }
        } catch (AssertionError | Exception e) {
            throw new AssertionError("crash test failed at kill " + k + " (replay with -Dskiff.crash.seed=" + seed
                    + "): " + e.getMessage(), e);
        }
        System.out.println("crash test: " + kills + " kills, " + acks + " acknowledged batches, " + verified
                + " acknowledged entries checked, " + tornTails + " torn tails cut, 0 lost (seed " + seed + ")");
    }

    /** Applies one line of the child's output; returns 1 for an acknowledged batch. */
    private static int record(String line, long term, TreeMap<Long, Long> acked) {
        if (line.startsWith("ack ")) {
            long last = Long.parseLong(line.substring(4));
            long from = acked.isEmpty() ? 1 : acked.lastKey() + 1;
            for (long i = from; i <= last; i++) {
                acked.put(i, term);
            }
            return 1;
        }
        if (line.startsWith("truncating ")) {
            // From here on, entries after the kept index are no longer promised.
            acked.tailMap(Long.parseLong(line.substring(11)), false).clear();
        }
        return 0;
    }

    /** True if the kill left a half-written record at the end of the in-progress segment. */
    private static boolean tornTail(Path data) throws IOException {
        if (!Files.isDirectory(data)) {
            return false;
        }
        try (var files = Files.list(data)) {
            for (Path p : files.toList()) {
                var name = SegmentName.parse(p.getFileName().toString());
                if (name.isPresent() && name.get().isInProgress()) {
                    return new SegmentScanner().scan(p, name.get(), true).torn();
                }
            }
        }
        return false;
    }

    /** Reopens the log, checks every entry, trims its prefix so the test stays small. */
    private static long verify(Path data, TreeMap<Long, Long> acked) throws IOException {
        try (SegmentedLogStore log = SegmentedLogStore.open(data, CrashChild.OPTIONS)) {
            long first = log.firstIndex();
            long last = log.lastIndex();
            if (!acked.isEmpty()) {
                assertThat(first).as("first index").isLessThanOrEqualTo(acked.firstKey());
                assertThat(last).as("last index").isGreaterThanOrEqualTo(acked.lastKey());
            }
            for (var a : acked.entrySet()) {
                assertThat(log.getLog(a.getKey())).as("acknowledged entry %d", a.getKey())
                        .contains(CrashChild.entry(a.getKey(), a.getValue()));
            }
            // Entries written but never acknowledged may be there too, but only intact.
            long previousTerm = 0;
            for (List<LogEntry> page = log.getLogs(Math.max(first, 1), last, 1 << 20); !page.isEmpty();
                    page = log.getLogs(page.getLast().index() + 1, last, 1 << 20)) {
                for (LogEntry e : page) {
                    assertThat(e).isEqualTo(CrashChild.entry(e.index(), e.term()));
                    assertThat(e.term()).isGreaterThanOrEqualTo(previousTerm);
                    previousTerm = e.term();
                }
            }
            // The next child continues after whatever is there now; its entries get a new term.
            long present = acked.size();
            Optional<LogEntry> tail = log.getLog(last);
            if (tail.isPresent() && last - 3000 > first) {
                log.truncatePrefix(last - 3000);
                acked.headMap(last - 3000, false).clear();
                first = log.firstIndex();
            }
            // Unacknowledged entries that survived become part of the log the next child extends.
            for (long i = acked.isEmpty() ? Math.max(first, 1) : acked.lastKey() + 1; i <= last && i > 0; i++) {
                Optional<LogEntry> e = log.getLog(i);
                if (e.isEmpty()) {
                    throw new AssertionError("entry " + i + " missing from a log that holds " + first + ".." + last);
                }
                acked.put(i, e.get().term());
            }
            return present;
        }
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
