package dev.skiff.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.skiff.it.cluster.FreePorts;
import dev.skiff.it.cluster.Launcher;
import dev.skiff.it.cluster.Launcher.Run;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JVM flags the distribution's launcher gives {@code skiff node} (README, "Against etcd";
 * bench/README.md for the measurements): G1 with a 10 ms pause goal, survivors tenured at their
 * first collection, the heap on transparent huge pages where the kernel offers them on request,
 * a 512 MiB initial heap on machines with 4 GiB or more, touched before the node starts, and each
 * default giving way to a flag of its kind in {@code JAVA_OPTS}. Read from the JVM itself
 * ({@code -XX:+PrintCommandLineFlags}) with {@code node --help}, which starts the node's JVM and
 * exits, and from the log of a node that cannot bind its raft port.
 */
class LauncherJvmDefaultsIT {

    @TempDir
    Path dir;

    private static final boolean MADVISE_HUGE_PAGES = madviseHugePages();

    /** The launcher starts a node's heap at 512 MiB on machines with 4 GiB or more. */
    private static final boolean FOUR_GIB = memTotalKib() >= 4L << 20;

    private static long memTotalKib() {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal:"))
                    .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElse(0);
        } catch (IOException e) {
            return 0;
        }
    }

    private static boolean madviseHugePages() {
        try {
            return Files.readString(Path.of("/sys/kernel/mm/transparent_hugepage/enabled")).contains("[madvise]");
        } catch (IOException e) {
            return false;
        }
    }

    /** The JVM's command-line flags of {@code skiff node --help} started with {@code javaOpts}. */
    private List<String> nodeJvmFlags(String javaOpts) throws Exception {
        Run run = Launcher.run(dir, Map.of("SKIFF_CDS", "off", "JAVA_OPTS", javaOpts + " -XX:+PrintCommandLineFlags"), null,
                Duration.ofSeconds(60), "node", "--help");
        assertThat(run.code()).as("exit code; stderr: %s", run.stderr()).isZero();
        String flagsLine = run.out().lines().filter(l -> l.contains("-XX:")).findFirst()
                .orElseThrow(() -> new AssertionError("no -XX: line in the output: " + run.out()));
        return Arrays.asList(flagsLine.trim().split("\\s+"));
    }

    @Test
    void when_noJvmFlagsAreGiven_then_theNodeRunsG1WithItsDefaults() throws Exception {
        List<String> flags = nodeJvmFlags("");

        assertThat(flags).contains("-XX:+UseG1GC", "-XX:MaxGCPauseMillis=10", "-XX:MaxTenuringThreshold=0");
        if (MADVISE_HUGE_PAGES) {
            assertThat(flags).contains("-XX:+UseTransparentHugePages");
        } else {
            assertThat(flags).doesNotContain("-XX:+UseTransparentHugePages");
        }
        if (FOUR_GIB) {
            assertThat(flags).contains("-XX:InitialHeapSize=" + (512L << 20));
        }
    }

    @Test
    void when_javaOptsSetTheSameKindOfFlag_then_theOperatorsValueStays() throws Exception {
        List<String> flags = nodeJvmFlags("-XX:MaxTenuringThreshold=3 -XX:-UseTransparentHugePages -XX:MaxGCPauseMillis=50");

        assertThat(flags).contains("-XX:MaxTenuringThreshold=3", "-XX:-UseTransparentHugePages", "-XX:MaxGCPauseMillis=50")
                .doesNotContain("-XX:MaxTenuringThreshold=0", "-XX:+UseTransparentHugePages", "-XX:MaxGCPauseMillis=10");
    }

    @Test
    void when_javaOptsSizeTheHeap_then_theLauncherAddsNoInitialHeap() throws Exception {
        // With the launcher's -Xms512m added, this maximum would stop the JVM ("initial heap size
        // set to a larger value than the maximum heap size") on a machine with 4 GiB or more.
        for (String heap : List.of("-Xmx256m", "-XX:MaxHeapSize=256m")) {
            assertThat(nodeJvmFlags(heap)).as(heap).contains("-XX:MaxHeapSize=" + (256L << 20))
                    .doesNotContain("-XX:InitialHeapSize=" + (512L << 20));
        }
        assertThat(nodeJvmFlags("-XX:MaxRAMPercentage=10")).doesNotContain("-XX:InitialHeapSize=" + (512L << 20));
    }

    /**
     * The log of {@code skiff node} started with {@code javaOpts} on a raft port that is taken:
     * the node gets as far as it would before opening its ports, then stops.
     */
    private String logOfANodeThatCannotBind(String javaOpts) throws Exception {
        int apiPort = FreePorts.next(); // never bound: the node stops at its raft port first
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Run run = Launcher.run(dir, Map.of("SKIFF_CDS", "off", "JAVA_OPTS", javaOpts), null, Duration.ofSeconds(60),
                    "node", "--id", "n1", "--bootstrap", "--data-dir", dir.resolve("data").toString(), "--api-addr",
                    "127.0.0.1:" + apiPort, "--raft-addr", "127.0.0.1:" + taken.getLocalPort());
            assertThat(run.stderr()).contains("cannot listen on 127.0.0.1:" + taken.getLocalPort());
            return run.out() + run.stderr();
        }
    }

    @Test
    void when_theLauncherChoosesTheHeap_then_theNodeTouchesItBeforeItStarts() throws Exception {
        assumeTrue(FOUR_GIB, "the launcher chooses the initial heap on machines with 4 GiB or more");

        String log = logOfANodeThatCannotBind("");

        Matcher touched = Pattern.compile("heap touched before start id=n1 bytes=(\\d+)").matcher(log);
        assertThat(touched.find()).as("the log: %s", log).isTrue();
        // Most of the 512 MiB: what the JVM used before, and the headroom, stay untouched.
        assertThat(Long.parseLong(touched.group(1))).isGreaterThanOrEqualTo(256L << 20);
    }

    @Test
    void when_javaOptsSayWhetherToPretouchOrSizeTheHeapOrChooseAnotherCollector_then_theNodeDoesNotTouchIt()
            throws Exception {
        for (String opts : List.of("-XX:-AlwaysPreTouch", "-Xms256m", "-XX:+UseParallelGC")) {
            assertThat(logOfANodeThatCannotBind(opts)).as(opts).doesNotContain("heap touched");
        }
    }

    /** The launcher split JAVA_OPTS by leaving it unquoted, which also expanded a word with * against the working directory. */
    @Test
    void when_aJavaOptsWordLooksLikeAFilePattern_then_itReachesTheJvmAsWritten() throws Exception {
        Files.createFile(dir.resolve("-XX:ErrorFile=hs_err_matched.log"));

        assertThat(nodeJvmFlags("-XX:ErrorFile=hs_err_*.log")).contains("-XX:ErrorFile=hs_err_*.log")
                .doesNotContain("-XX:ErrorFile=hs_err_matched.log");
    }

    @Test
    void when_javaOptsChooseAnotherCollector_then_noG1SettingIsAdded() throws Exception {
        List<String> flags = nodeJvmFlags("-XX:+UseZGC");

        assertThat(flags).contains("-XX:+UseZGC")
                .doesNotContain("-XX:+UseG1GC", "-XX:MaxTenuringThreshold=0", "-XX:+UseTransparentHugePages");
    }

    @Test
    void when_javaOptsHaveOtherUseAndGcFlags_then_theyAreNotTakenForACollector() throws Exception {
        List<String> flags = nodeJvmFlags("-XX:+UseStringDeduplication -XX:+DisableExplicitGC");

        assertThat(flags).contains("-XX:+UseStringDeduplication", "-XX:+DisableExplicitGC", "-XX:+UseG1GC",
                "-XX:MaxGCPauseMillis=10", "-XX:MaxTenuringThreshold=0");
    }

    @Test
    void when_javaOptsChooseG1_then_itGetsTheG1Settings() throws Exception {
        List<String> flags = nodeJvmFlags("-XX:+UseG1GC");

        assertThat(flags).contains("-XX:+UseG1GC", "-XX:MaxTenuringThreshold=0");
    }
}
