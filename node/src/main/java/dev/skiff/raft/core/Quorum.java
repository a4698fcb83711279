package dev.skiff.raft.core;

import java.util.Arrays;
import java.util.Collection;
import java.util.Set;

/**
 * Majority-quorum arithmetic over a set of voters. Pure functions.
 */
public final class Quorum {

    private Quorum() {
    }

    /** The number of votes that makes a majority of {@code voters}. */
    public static int majority(int voters) {
        return voters / 2 + 1;
    }

    /**
     * The highest value that a majority of voters has reached, given one value per voter
     * ({@code reached}: an acknowledged index or read sequence, 0 for a voter not heard from).
     * With no voters, 0. Sorts {@code reached} in place. (§5.3: "a log entry is committed once
     * the leader ... has replicated it on a majority")
     */
    public static long majorityReached(long[] reached) {
        if (reached.length == 0) {
            return 0;
        }
        Arrays.sort(reached);
        // Ascending: the majority-th largest is at position n - majority.
        return reached[reached.length - majority(reached.length)];
    }

    /** Outcome of counting votes. */
    public enum VoteResult {
        /** A majority granted. */
        WON,
        /** A majority rejected: the election cannot be won. */
        LOST,
        /** Neither yet. */
        PENDING
    }

    /** Tallies votes: {@code granted} and {@code rejected} hold ids of voters that answered. */
    public static VoteResult tally(Collection<String> voters, Set<String> granted, Set<String> rejected) {
        int yes = 0;
        int no = 0;
        for (String v : voters) {
            if (granted.contains(v)) {
                yes++;
            } else if (rejected.contains(v)) {
                no++;
            }
        }
        int need = majority(voters.size());
        if (yes >= need) {
            return VoteResult.WON;
        }
        if (no >= need || voters.isEmpty()) {
            return VoteResult.LOST;
        }
        return VoteResult.PENDING;
    }
}
