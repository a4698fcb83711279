package dev.skiff.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * What every {@link Discovery} table does alike, run against each implementation: extend it and
 * implement {@link #newTable()}.
 */
public abstract class DiscoveryContract {

    /** A table of a cluster nothing has written to yet. */
    protected abstract Discovery newTable() throws IOException;

    @Test
    void when_leadersArePublished_then_aLaterTermReplacesAnEarlierOneButNeverTheOtherWayRound() throws IOException {
        Discovery table = newTable();
        assertThat(table.publishedLeader()).isEmpty();
        var first = new PublishedLeader("n1", "10.0.0.1:9001", "10.0.0.1:8001", 3, Instant.parse("2030-01-01T00:00:00Z"));
        var second = new PublishedLeader("n2", "10.0.0.2:9001", "10.0.0.2:8001", 4, Instant.parse("2030-01-01T00:00:05Z"));
        assertThat(table.publishLeader(first)).isTrue();
        assertThat(table.publishedLeader()).contains(first);
        assertThat(table.publishLeader(second)).isTrue();
        assertThat(table.publishLeader(first)).as("a deposed leader's late write").isFalse();
        assertThat(table.publishedLeader()).contains(second);
        var sameTerm = new PublishedLeader("n2", "10.0.0.2:9001", "10.0.0.2:8001", 4, Instant.parse("2030-01-01T00:01:00Z"));
        assertThat(table.publishLeader(sameTerm)).as("the same leader again").isTrue();
        assertThat(table.publishedLeader()).contains(sameTerm);
    }
}
