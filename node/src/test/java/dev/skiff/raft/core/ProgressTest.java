package dev.skiff.raft.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The leader's per-follower replication state and its flow control (after etcd's {@code tracker}). */
class ProgressTest {

    @Test
    void probeSendsOneAppendAtATime() {
        Progress p = new Progress("2", "a2", 5, 4);
        assertThat(p.mode).isEqualTo(Progress.Mode.PROBE);
        assertThat(p.paused()).isFalse();
        p.probeSent = true;
        assertThat(p.paused()).isTrue();
    }

    @Test
    void maybeUpdateMovesMatchAndNextForwardOnly() {
        // Reference: section 5.3 — nextIndex and matchIndex; stale acknowledgements change nothing.
        Progress p = new Progress("2", "a2", 5, 4);
        assertThat(p.maybeUpdate(3)).isTrue();
        assertThat(p.matchIndex).isEqualTo(3);
        assertThat(p.nextIndex).isEqualTo(5);
        assertThat(p.maybeUpdate(2)).isFalse();
        assertThat(p.matchIndex).isEqualTo(3);
        assertThat(p.maybeUpdate(7)).isTrue();
        assertThat(p.nextIndex).isEqualTo(8);
    }

    @Test
    void replicatePipelinesUpToTheInflightLimit() {
        Progress p = new Progress("2", "a2", 5, 2);
        p.maybeUpdate(4);
        p.becomeReplicate();
        assertThat(p.nextIndex).isEqualTo(5);
        p.inflights.add(6);
        assertThat(p.paused()).isFalse();
        p.inflights.add(9);
        assertThat(p.paused()).isTrue();
        p.inflights.freeUpTo(6);
        assertThat(p.paused()).isFalse();
        assertThat(p.inflights.count()).isEqualTo(1);
    }

    @Test
    void snapshotModePausesAndProbeResumesAfterTheSnapshot() {
        // Reference: section 7 — once the follower has the snapshot, replication continues after it.
        Progress p = new Progress("2", "a2", 3, 4);
        p.maybeUpdate(2);
        p.becomeSnapshot(40);
        assertThat(p.paused()).isTrue();
        p.becomeProbe();
        assertThat(p.mode).isEqualTo(Progress.Mode.PROBE);
        assertThat(p.nextIndex).isEqualTo(41);
        assertThat(p.pendingSnapshotIndex).isZero();
    }

    @Test
    void inflightsIsARing() {
        Inflights in = new Inflights(3);
        for (int round = 0; round < 5; round++) {
            long base = round * 10L;
            in.add(base + 1);
            in.add(base + 2);
            in.add(base + 3);
            assertThat(in.full()).isTrue();
            assertThatThrownBy(() -> in.add(base + 4)).isInstanceOf(IllegalStateException.class);
            in.freeFirstOne();
            assertThat(in.count()).isEqualTo(2);
            in.freeUpTo(base + 2);
            assertThat(in.count()).isEqualTo(1);
            in.freeUpTo(base + 3);
            assertThat(in.count()).isZero();
        }
        in.add(1);
        in.reset();
        assertThat(in.count()).isZero();
    }
}
