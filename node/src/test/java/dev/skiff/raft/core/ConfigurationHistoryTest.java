package dev.skiff.raft.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.raft.Configuration;
import dev.skiff.raft.Server;
import org.junit.jupiter.api.Test;

/** The configurations a server knows (thesis §4.1): latest in the log, committed, truncated, snapshotted. */
class ConfigurationHistoryTest {

    private static final Configuration ONE = Configuration.of(Server.voter("1", "a1"));
    private static final Configuration TWO = ONE.with(Server.voter("2", "a2"));
    private static final Configuration THREE = TWO.with(Server.voter("3", "a3"));

    @Test
    void latestConfigurationAppliesBeforeItCommits() {
        // Reference: thesis section 4.1 — "a server always uses the latest configuration in
        // its log, regardless of whether the entry is committed."
        ConfigurationHistory h = new ConfigurationHistory(1, ONE);
        h.append(5, TWO);
        assertThat(h.latest()).isEqualTo(TWO);
        assertThat(h.latestIndex()).isEqualTo(5);
        assertThat(h.committed()).isEqualTo(ONE);
        assertThat(h.latestCommitted()).isFalse();

        h.commitTo(4);
        assertThat(h.committed()).isEqualTo(ONE);
        h.commitTo(5);
        assertThat(h.committed()).isEqualTo(TWO);
        assertThat(h.committedIndex()).isEqualTo(5);
        assertThat(h.latestCommitted()).isTrue();
    }

    @Test
    void truncatingTheLogForgetsItsConfigurations() {
        // Reference: thesis section 4.1 — "if the log is truncated ... a server must be able to
        // fall back to the previous configuration in its log."
        ConfigurationHistory h = new ConfigurationHistory(1, ONE);
        h.append(5, TWO);
        h.append(9, THREE);
        h.truncateAfter(8);
        assertThat(h.latest()).isEqualTo(TWO);
        h.truncateAfter(4);
        assertThat(h.latest()).isEqualTo(ONE);
        assertThat(h.latestIndex()).isEqualTo(1);
    }

    @Test
    void commitFoldsEveryConfigurationUpToTheCommitIndex() {
        ConfigurationHistory h = new ConfigurationHistory(1, ONE);
        h.append(5, TWO);
        h.append(9, THREE);
        h.commitTo(20);
        assertThat(h.committed()).isEqualTo(THREE);
        assertThat(h.committedIndex()).isEqualTo(9);
        assertThat(h.latestCommitted()).isTrue();
    }

    @Test
    void snapshotSupersedesConfigurationsAtOrBeforeItsIndex() {
        // Reference: section 7 — the snapshot carries "the latest configuration as of the last
        // included index"; a stale entry at or before that index (which the snapshot's history
        // overwrote) must not survive it, while later ones stay in effect.
        ConfigurationHistory h = new ConfigurationHistory(1, ONE);
        h.append(5, THREE);   // stale: the snapshot's history has something else at 5
        h.append(12, TWO);    // after the snapshot: still in effect
        h.restore(10, 4, TWO.with(Server.nonvoter("4", "a4")));
        assertThat(h.committedIndex()).isEqualTo(4);
        assertThat(h.latest()).isEqualTo(TWO);
        assertThat(h.latestIndex()).isEqualTo(12);
        h.truncateAfter(11);
        assertThat(h.latest()).isEqualTo(TWO.with(Server.nonvoter("4", "a4")));
    }
}
