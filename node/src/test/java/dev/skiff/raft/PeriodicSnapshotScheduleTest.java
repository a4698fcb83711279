package dev.skiff.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.LongSummaryStatistics;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * The periodic snapshot check comes a random one to two intervals after the last (as in
 * hashicorp/raft), so that servers started together do not snapshot together.
 */
class PeriodicSnapshotScheduleTest {

    private static final long INTERVAL = Duration.ofSeconds(30).toNanos();

    @Test
    void firstCheckComesBetweenOneAndTwoIntervalsAndDiffersBetweenServers() {
        LongSummaryStatistics firstChecks = LongStream.rangeClosed(1, 40).map(i -> onlyTimer(started("n" + i)))
                .summaryStatistics();

        assertThat(firstChecks.getMin()).isGreaterThanOrEqualTo(INTERVAL);
        assertThat(firstChecks.getMax()).isLessThan(2 * INTERVAL);
        // Forty servers started at once: spread over most of the second interval, not bunched.
        assertThat(firstChecks.getMax() - firstChecks.getMin()).isGreaterThan(INTERVAL / 2);
    }

    @Test
    void eachLaterCheckIsDrawnAgain() {
        ScriptNode n = started("n1");
        long first = onlyTimer(n);

        n.advanceTo(first);
        long second = onlyTimer(n);

        assertThat(second - first).isBetween(INTERVAL, 2 * INTERVAL - 1);
        n.advanceTo(second);
        assertThat(onlyTimer(n) - second).isBetween(INTERVAL, 2 * INTERVAL - 1).isNotEqualTo(second - first);
    }

    private static ScriptNode started(String id) {
        ScriptNode n = new ScriptNode(id);
        n.start(RaftConfig.defaults(id).withSnapshots(Duration.ofNanos(INTERVAL), 8192, 10_240), 1);
        return n;
    }

    private static long onlyTimer(ScriptNode n) {
        List<Long> timers = n.pendingTimers();
        assertThat(timers).as("the snapshot check is the node's only timer").hasSize(1);
        return timers.get(0);
    }
}
