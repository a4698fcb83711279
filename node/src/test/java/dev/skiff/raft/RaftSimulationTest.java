package dev.skiff.raft;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seeded simulation of real Raft nodes under faults (see {@link SimCluster}).
 *
 * <p>By default runs 1,000 seeds. System properties:
 * <ul>
 *   <li>{@code -Dskiff.sim.seeds=100000} runs that many seeds;</li>
 *   <li>{@code -Dskiff.sim.seed=1234} replays one seed, printing its full trace;</li>
 *   <li>{@code -Dskiff.sim.first=N} starts counting seeds at N (to spread long runs).</li>
 * </ul>
 * Run with {@code bin/test -pl node -Dtest=RaftSimulationTest -Dskiff.sim.seeds=100000}.
 * A failing seed prints itself, the invariant that broke and the tail of its trace; pin it
 * below once fixed.
 */
class RaftSimulationTest {

    private static final int DEFAULT_SEEDS = 1000;
    private static final long VIRTUAL_MILLIS = 8_000;

    private static final Logger RAFT_LOG = (Logger) org.slf4j.LoggerFactory.getLogger("dev.skiff.raft");
    private static Level savedLevel;

    /**
     * The nodes log as in production; thousands of simulated runs would drown the test output,
     * so their logs show only when one seed is replayed.
     */
    @BeforeAll
    static void quietNodes() {
        savedLevel = RAFT_LOG.getLevel();
        if (System.getProperty("skiff.sim.seed", "").isBlank()) {
            RAFT_LOG.setLevel(Level.OFF);
        }
    }

    @AfterAll
    static void restoreLogging() {
        RAFT_LOG.setLevel(savedLevel);
    }

    @Test
    void manySeedsKeepEveryInvariant() {
        String one = System.getProperty("skiff.sim.seed", "");
        if (!one.isBlank()) {
            runSeed(Long.parseLong(one.trim()), true);
            System.out.println("simulation: replayed seed " + one.trim() + ", invariants held");
            return;
        }
        int seeds = Integer.getInteger("skiff.sim.seeds", DEFAULT_SEEDS);
        long first = Long.getLong("skiff.sim.first", 1);
        long started = System.nanoTime();
        long events = 0;
        long acks = 0;
        long reads = 0;
        long followerAcks = 0;
        long followerReads = 0;
        long stalls = 0;
        long tornTails = 0;
        long diskLosses = 0;
        long restores = 0;
        long refused = 0;
        long hangs = 0;
        long twins = 0;
        for (long seed = first; seed < first + seeds; seed++) {
            SimCluster c = runSeed(seed, false);
            events += c.events();
            acks += c.acks;
            reads += c.readsServed;
            followerAcks += c.followerAcks;
            followerReads += c.followerReads;
            stalls += c.stalls;
            tornTails += c.tornTails;
            diskLosses += c.diskLosses;
            restores += c.restores;
            refused += c.restoresRefused;
            hangs += c.storeHangs;
            twins += c.twins;
        }
        double secs = (System.nanoTime() - started) / 1e9;
        System.out.printf("simulation: %d seeds run (%d..%d), %d events, %d acknowledged writes (%d through a follower), "
                + "%d linearizable reads checked (%d on a follower), %d process stalls, %d torn log tails, %d disk losses, %d user restores (%d bad, refused), %d snapshot store hangs, "
                + "%d second processes under a running node's id, %.1f s%n", seeds, first, first + seeds - 1, events, acks, followerAcks,
                reads, followerReads, stalls,
                tornTails, diskLosses, restores, refused, hangs, twins, secs);
        assertThat(acks).as("the workload made progress").isPositive();
        assertThat(followerAcks).as("followers forwarded writes").isPositive();
        assertThat(followerReads).as("followers served reads").isPositive();
    }

    /** Seeds that once found bugs; each stays here as a regression test. */
    @ParameterizedTest
    @ValueSource(longs = {
        // A snapshot ahead of the log left a stale, never-committed configuration entry (which
        // added a voter) as the latest configuration: two leaders in one term.
        12521L,
        // A server added while no writes followed was probed past the configuration entry and
        // never received anything: the change never committed (found by the demo, reproduced
        // here once clients pause now and then).
        337L,
        // A leader kept serving lease reads after sending TimeoutNow; the target's election
        // bypasses the voters' lease, so a read missed a write the new leader acknowledged.
        // (Seed found on the simulation before client pauses were added; replays differently now.)
        13773L,
        // After a refused snapshot the leader probed from past the snapshot, and a probe with
        // no entries to carry was never sent: the follower never caught up.
        101465L,
        // A late success for a snapshot transfer the leader had given up on was credited as the
        // newer snapshot it was sending instead: matchIndex past the follower's log, and a
        // zero-delay probe loop (the simulation ran forever; it now fails such a livelock).
        2010560L,
        // A follower that lost its log (disk loss) was never repaired: the leader took its
        // refusals at or below matchIndex for late answers and probed the same index forever.
        466L,
        // A voter that lost its disk (and its vote) voted for a candidate that lacked an entry
        // committed with the voter's earlier acknowledgement: the new leader overwrote it. Votes
        // and acknowledgements now count only from the log incarnation the configuration records.
        3962L,
        // A commit counted an acknowledgement that arrived just before the acknowledging voter
        // lost its disk; the entry is safe only because the voter's new log is not counted
        // until it has caught up (the simulation's durability check knows this now).
        638L,
        // A disk loss on one of two voters is a majority loss: the simulation must not demote a
        // voter while another one's loss is being repaired (it stalled forever).
        504L,
        // A user restore of bytes that are not a snapshot was stored and installed as one: the
        // FSM's restore failed and the node stopped (every node would). Restores are log entries
        // now, refused alike by every FSM.
        25L,
        // A user restore installed on the leader before a quorum had it; the leader lost its
        // leadership, the cluster went on without the restore and the leader kept it: FSM
        // divergence. A restore now takes effect through a committed entry, everywhere or nowhere.
        357L,
        // Found by the 100,000-seed sweep: a founding voter that lost its disk voted for a stale
        // candidate whose configuration predated the recording of the voter's incarnation, so its
        // vote counted and a leader without a committed entry was elected. A founding
        // configuration ("" recorded) now counts only founded logs (Incarnations).
        41935L,
        // A second process under a founding member's id (new disk, shared stable record) caught
        // up halfway and, its founding configuration recording no incarnation, counted its own
        // vote: elected without a committed entry. Fixed by the same rule.
        1317L,
        // The first form of that rule (any unrecorded member counts only from a founded log)
        // stalled a cluster whose voters were added directly: they were never counted, and no
        // configuration change could commit to record them. Added members are recorded as
        // "added" (any log counts until the leader hears from one), founders as "".
        1953L,
        // Found by the 100,000-seed sweep: a torn tail was allowed on a voter because the lost
        // records were on a majority of every running node's voter set, but a node that was down
        // restarted under an older voter set whose majority, without them, lacked a committed
        // restore entry. The simulation now counts a down node's stored configuration too.
        30023L,
        // Commands forwarded by a follower (issue #17): the network delivered one batch twice and
        // the leader appended it twice, so one client write was applied at two indexes. The
        // leader now ignores a batch it has answered (SeenBatches). 466 and 30023 above failed
        // the same way without it.
        15L,
        // A follower restarted while a resend of one of its old process's batches was on the way:
        // its new process's first batch replaced the leader's record of the old one, and the old
        // resend, found in no record, was appended a second time. The leader now keeps the
        // records of a sender's last processes (SeenBatches.EPOCHS).
        1236L,
        // A second process under a follower's id reused the batch ids of the first; the leader's
        // answer to a batch the first process resent reached the second, which took it for its
        // own batch of that id: a new command acknowledged at the index of an old one, then not
        // in the log (durability). Answers now echo the sender's epoch (wire version 4). Found
        // once reads stopped handing each completion to the FSM thread changed the histories.
        1179L,
    })
    void pinnedSeeds(long seed) {
        runSeed(seed, false);
    }

    private static SimCluster runSeed(long seed, boolean verbose) {
        SimCluster c = new SimCluster(seed, verbose);
        try {
            c.run(VIRTUAL_MILLIS);
        } catch (RuntimeException | AssertionError e) {
            System.out.println("simulation: seed " + seed + " FAILED: " + e.getMessage());
            System.out.println("replay with: bin/test -pl node -Dtest=RaftSimulationTest#manySeedsKeepEveryInvariant -Dskiff.sim.seed=" + seed);
            System.out.println("---- last trace lines of seed " + seed + " ----\n" + c.traceTail());
            throw e;
        }
        return c;
    }
}
