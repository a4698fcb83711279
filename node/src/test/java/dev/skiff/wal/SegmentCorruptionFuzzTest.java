package dev.skiff.wal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.raft.CorruptLogException;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damages real segment files (cuts them at random offsets, flips random bits, zeroes random
 * ranges) and checks that every case is either recovered, with every entry before the damage
 * intact, or refused with the file and the offset: never a wrong entry.
 * {@code -Dskiff.fuzz.cases=N} (default 1000), {@code -Dskiff.fuzz.seed=S} replays a run.
 */
class SegmentCorruptionFuzzTest {

    private static final SegmentedLogStore.Options OPTIONS = SegmentedLogStore.Options.DEFAULTS
            .withMaxSegmentBytes(4096).withCache(0, 0);
    private static final int ENTRIES = 240;

    @TempDir
    Path dir;

    private static LogEntry entry(long index) {
        SplittableRandom r = new SplittableRandom(index);
        byte[] data = new byte[r.nextInt(90)];
        r.nextBytes(data);
        return new LogEntry(index, 1 + index / 50, index % 13 == 0 ? LogType.NOOP : LogType.COMMAND, data);
    }

    @Test
    void when_segmentFilesAreDamaged_then_everyCaseIsRecoveredOrRefusedAndNoEntryIsWrong() throws IOException {
        int cases = Integer.getInteger("skiff.fuzz.cases", 1000);
        long seed = Long.getLong("skiff.fuzz.seed", System.nanoTime());
        TreeMap<String, byte[]> original = writeRealLog(dir.resolve("original"));
        String lastSegment = original.lastKey();
        assertThat(lastSegment).startsWith("log_inprogress_");
        assertThat(original).hasSizeGreaterThan(3);

        int intact = 0;
        int tornTailCut = 0;
        int refused = 0;
        Path work = dir.resolve("work");
        for (int c = 0; c < cases; c++) {
            long caseSeed = seed + c;
            SplittableRandom random = new SplittableRandom(caseSeed);
            List<String> names = new ArrayList<>(original.keySet());
            String victim = names.get(random.nextInt(names.size()));
            byte[] damaged = original.get(victim).clone();
            String how;
            switch (random.nextInt(3)) {
                case 0 -> {
                    int cut = random.nextInt(damaged.length);
                    damaged = java.util.Arrays.copyOf(damaged, cut);
                    how = "cut at " + cut;
                }
                case 1 -> {
                    int flips = 1 + random.nextInt(3);
                    StringBuilder bits = new StringBuilder("flipped bits");
                    for (int f = 0; f < flips; f++) {
                        int bit = random.nextInt(damaged.length * 8);
                        damaged[bit / 8] ^= (byte) (1 << (bit % 8));
                        bits.append(' ').append(bit);
                    }
                    how = bits.toString();
                }
                default -> {
                    int from = random.nextInt(damaged.length);
                    int to = Math.min(damaged.length, from + 1 + random.nextInt(512));
                    java.util.Arrays.fill(damaged, from, to, (byte) 0);
                    how = "zeroed " + from + ".." + to;
                }
            }
            String label = "case " + c + " (replay with -Dskiff.fuzz.seed=" + caseSeed + " -Dskiff.fuzz.cases=1): "
                    + victim + " " + how;
            materialise(work, original, victim, damaged);
            try (SegmentedLogStore log = SegmentedLogStore.open(work, OPTIONS)) {
                long last = log.lastIndex();
                assertThat(log.firstIndex()).as(label).isEqualTo(1);
                for (long i = 1; i <= last; i++) {
                    assertThat(log.getLog(i)).as(label + ": entry " + i).contains(entry(i));
                }
                if (last == ENTRIES) {
                    intact++;
                } else {
                    assertThat(victim).as(label + ": lost entries after " + last + ", allowed only as a torn tail")
                            .isEqualTo(lastSegment);
                    tornTailCut++;
                }
                if (c % 10 == 0) {
                    // A recovered log takes new writes and survives another restart.
                    log.storeLogs(List.of(entry(last + 1)));
                    log.close();
                    try (SegmentedLogStore again = SegmentedLogStore.open(work, OPTIONS)) {
                        assertThat(again.lastIndex()).as(label).isEqualTo(last + 1);
                        assertThat(again.getLog(last + 1)).as(label).contains(entry(last + 1));
                    }
                }
            } catch (CorruptLogException e) {
                assertThat(e.getMessage()).as(label).contains(victim).contains("at offset ")
                        .contains("move this node's data dir aside");
                refused++;
            }
        }
        System.out.println("corruption fuzzer: " + cases + " cases, " + intact + " recovered intact, " + tornTailCut
                + " recovered by cutting a torn tail, " + refused + " refused with file and offset, 0 wrong reads (seed "
                + seed + ")");
    }

    private static TreeMap<String, byte[]> writeRealLog(Path at) throws IOException {
        try (SegmentedLogStore log = SegmentedLogStore.open(at, OPTIONS)) {
            for (long i = 1; i <= ENTRIES; ) {
                int n = (int) Math.min(1 + i % 7, ENTRIES - i + 1);
                List<LogEntry> batch = new ArrayList<>();
                for (int k = 0; k < n; k++) {
                    batch.add(entry(i + k));
                }
                log.storeLogs(batch);
                i += n;
            }
        }
        TreeMap<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(at)) {
            for (Path p : list.toList()) {
                if (p.getFileName().toString().startsWith("log_")) {
                    files.put(p.getFileName().toString(), Files.readAllBytes(p));
                }
            }
        }
        // Keep a short run of the zeros written ahead after the last record, so damage lands
        // on records as often as on that run (the full 1 MiB would draw almost every case).
        String last = files.lastKey();
        SegmentName name = SegmentName.parse(last).orElseThrow();
        long end = new SegmentScanner().scan(at.resolve(last), name, true).end();
        files.put(last, java.util.Arrays.copyOf(files.get(last), (int) end + 300));
        return files;
    }

    private static void materialise(Path work, TreeMap<String, byte[]> original, String victim, byte[] damaged)
            throws IOException {
        if (Files.exists(work)) {
            try (Stream<Path> list = Files.list(work)) {
                for (Path p : list.toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(work);
        for (var f : original.entrySet()) {
            Files.write(work.resolve(f.getKey()), f.getKey().equals(victim) ? damaged : f.getValue());
        }
    }
}
