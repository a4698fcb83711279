package dev.skiff.raft.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Majority arithmetic, checked against a brute-force reference (after etcd's {@code quorum/quick_test.go}). */
class QuorumTest {

    /** The highest index that at least a majority has reached, by trying every candidate. */
    private static long bruteForceCommitted(List<String> voters, Map<String, Long> acked) {
        long best = 0;
        for (String v : voters) {
            long candidate = acked.getOrDefault(v, 0L);
            long reached = voters.stream().filter(w -> acked.getOrDefault(w, 0L) >= candidate).count();
            if (reached > voters.size() / 2 && candidate > best) {
                best = candidate;
            }
        }
        return best;
    }

    @Test
    void majorityReachedAgreesWithBruteForceOnRandomInputs() {
        // Reference: section 5.3 — committed once replicated on a majority (N > n/2 voters
        // have matchIndex >= N); Figure 2, "Rules for Servers: Leaders", last bullet.
        SplittableRandom random = new SplittableRandom(20_240_601L);
        int nonZero = 0;
        for (int round = 0; round < 20_000; round++) {
            int size = 1 + random.nextInt(9);
            List<String> voters = new ArrayList<>();
            Map<String, Long> acked = new HashMap<>();
            for (int i = 0; i < size; i++) {
                String id = "v" + i;
                voters.add(id);
                if (random.nextInt(5) != 0) { // some voters have not answered at all
                    acked.put(id, (long) random.nextInt(random.nextBoolean() ? 4 : 1000));
                }
            }
            long expected = bruteForceCommitted(voters, acked);
            long[] reached = voters.stream().mapToLong(v -> acked.getOrDefault(v, 0L)).toArray();
            assertThat(Quorum.majorityReached(reached)).as("voters %s acked %s", voters, acked).isEqualTo(expected);
            if (expected > 0) {
                nonZero++;
            }
        }
        assertThat(nonZero).as("the inputs exercise non-trivial answers").isGreaterThan(10_000);
    }

    @Test
    void majorityReachedByNoVotersIsZero() {
        assertThat(Quorum.majorityReached(new long[0])).isZero();
    }

    @Test
    void majorityIsMoreThanHalf() {
        // Reference: section 5.2 — "a majority of the servers in the full cluster".
        assertThat(List.of(1, 2, 3, 4, 5, 6, 7).stream().map(Quorum::majority).toList())
                .containsExactly(1, 2, 2, 3, 3, 4, 4);
    }

    @Test
    void tallyWinsLosesOrWaits() {
        // Reference: section 5.2 — win with a majority of votes; a majority of rejections means
        // the election cannot be won.
        List<String> five = List.of("a", "b", "c", "d", "e");
        assertThat(Quorum.tally(five, Set.of("a", "b", "c"), Set.of())).isEqualTo(Quorum.VoteResult.WON);
        assertThat(Quorum.tally(five, Set.of("a", "b"), Set.of("c", "d"))).isEqualTo(Quorum.VoteResult.PENDING);
        assertThat(Quorum.tally(five, Set.of("a"), Set.of("c", "d", "e"))).isEqualTo(Quorum.VoteResult.LOST);
        assertThat(Quorum.tally(five, Set.of("a", "x", "y"), Set.of())).as("non-voters do not count")
                .isEqualTo(Quorum.VoteResult.PENDING);
        assertThat(Quorum.tally(List.of(), Set.of("a"), Set.of())).isEqualTo(Quorum.VoteResult.LOST);
        // LOST means a majority rejected; a tie that cannot be won any more still waits for the
        // election timeout (etcd would call it lost: yes + unanswered < majority).
        assertThat(Quorum.tally(List.of("a", "b"), Set.of("a"), Set.of("b"))).isEqualTo(Quorum.VoteResult.PENDING);
    }
}
