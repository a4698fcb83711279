package dev.skiff.autopilot;

import dev.skiff.raft.FollowerStats;
import dev.skiff.raft.Raft;
import dev.skiff.raft.RaftState;
import dev.skiff.raft.RaftStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes dead members (Consul autopilot's {@code cleanup_dead_servers} with
 * {@code min_quorum}): on the leader, a member that has not answered it for
 * {@code removeDeadAfter} is removed from the configuration, a voter only while more than
 * {@code minVoters} voters remain. Without this, an autoscaling group that replaces failed
 * nodes slowly fills the configuration with dead voters and loses fault tolerance.
 *
 * <p>Liveness comes from {@link RaftStats#followers()}: the time since each follower last
 * answered this leader. A new leader starts that clock for every member when it takes office
 * (and for a new member when it is added), so it never removes a member just because it has
 * not heard from it yet: a member must be silent for {@code removeDeadAfter} within this
 * leadership.
 *
 * <p>A member is removed only when two checks in a row, {@link #checkInterval} apart, found it
 * silent for that long: a leader whose process was paused (a stopped VM, a long GC) sees
 * every follower silent for the length of the pause when it resumes, and must not remove
 * the ones that answer it again a moment later.
 *
 * <p>One virtual thread checks every {@link #checkInterval}; at most one removal is in flight
 * (a membership change at a time, thesis §4.1). Every removal is logged and counted in
 * {@code skiff_autopilot_dead_members_removed_total}.
 */
public final class DeadMemberCleanup implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DeadMemberCleanup.class);
    /** How long a removal may take to commit before the next check tries again. */
    private static final Duration CHANGE_TIMEOUT = Duration.ofSeconds(5);

    private final Raft raft;
    private final Duration removeDeadAfter;
    private final int minVoters;
    private final Duration checkInterval;
    private final Counter removedVoters;
    private final Counter removedNonvoters;
    /** Dead voters kept because of min-voters, already logged in {@link #keptTerm}: logged once per leadership. */
    private final Set<String> keptLogged = new HashSet<>();
    private long keptTerm = -1;
    /** Members found silent for removeDeadAfter by the previous check of this leadership. */
    private Set<String> suspects = Set.of();
    private final Thread thread;
    private volatile boolean closed;

    private DeadMemberCleanup(Raft raft, Duration removeDeadAfter, int minVoters, MeterRegistry registry) {
        if (removeDeadAfter.isNegative() || removeDeadAfter.isZero()) {
            throw new IllegalArgumentException("removeDeadAfter must be positive, got " + removeDeadAfter);
        }
        if (minVoters < 1) {
            throw new IllegalArgumentException("minVoters must be at least 1, got " + minVoters);
        }
        this.raft = raft;
        this.removeDeadAfter = removeDeadAfter;
        this.minVoters = minVoters;
        this.checkInterval = checkInterval(removeDeadAfter);
        String help = "members removed by dead-member cleanup (--remove-dead-after) after they stopped answering the leader";
        this.removedVoters = Counter.builder("skiff_autopilot_dead_members_removed").description(help)
                .tag("suffrage", "voter").register(registry);
        this.removedNonvoters = Counter.builder("skiff_autopilot_dead_members_removed").description(help)
                .tag("suffrage", "nonvoter").register(registry);
        this.thread = Thread.ofVirtual().name("dead-member-cleanup").unstarted(this::run);
    }

    /**
     * Starts checking {@code raft}'s followers whenever it leads.
     *
     * @param removeDeadAfter how long a member must have been silent to be removed (positive)
     * @param minVoters       never remove a voter when this many or fewer voters are configured (1 or more)
     * @param registry        where the removal counter is registered
     * @throws IllegalArgumentException if a setting is out of range
     */
    public static DeadMemberCleanup start(Raft raft, Duration removeDeadAfter, int minVoters, MeterRegistry registry) {
        DeadMemberCleanup cleanup = new DeadMemberCleanup(raft, removeDeadAfter, minVoters, registry);
        cleanup.thread.start();
        log.info("dead-member cleanup on: removeDeadAfter={} minVoters={} checkEvery={}", removeDeadAfter, minVoters,
                cleanup.checkInterval);
        return cleanup;
    }

    /** A tenth of the threshold, between 100 ms and 5 s: removal happens at most ~10% late. */
    static Duration checkInterval(Duration removeDeadAfter) {
        long millis = Math.max(100, Math.min(5_000, removeDeadAfter.toMillis() / 10));
        return Duration.ofMillis(millis);
    }

    private void run() {
        while (!closed && raft.state() != RaftState.SHUTDOWN) {
            try {
                check();
            } catch (RuntimeException e) {
                log.warn("dead-member cleanup check failed (retried in {} ms): {}", checkInterval.toMillis(), e.toString());
            }
            try {
                Thread.sleep(checkInterval);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One round: removes at most one dead member, if this server leads. */
    void check() {
        RaftStats stats = raft.stats();
        if (stats.state() != RaftState.LEADER) {
            suspects = Set.of();
            return;
        }
        if (stats.term() != keptTerm) {
            keptTerm = stats.term();
            keptLogged.clear();
            suspects = Set.of();
        }
        Set<String> previous = suspects;
        Set<String> silent = new HashSet<>();
        for (FollowerStats f : stats.followers()) {
            if (f.lastContact().compareTo(removeDeadAfter) >= 0) {
                silent.add(f.id());
            }
        }
        suspects = silent;
        int voters = stats.latestConfiguration().voters().size();
        for (FollowerStats f : stats.followers()) {
            if (!silent.contains(f.id()) || !previous.contains(f.id())) {
                continue; // not silent, or silent at this check only (this leader may just have resumed from a pause)
            }
            if (f.voter() && voters <= minVoters) {
                if (keptLogged.add(f.id())) {
                    log.warn("dead voter kept id={} silentFor={}ms voters={} minVoters={}: removing it would leave fewer "
                            + "than --min-voters voters; replace the node (it is removed once a replacement has joined) "
                            + "or remove it by hand with DELETE /v1/cluster/members/{}", f.id(), f.lastContact().toMillis(),
                            voters, minVoters, f.id());
                }
                continue;
            }
            remove(f, stats.latestConfigurationIndex(), voters);
            return;
        }
    }

    private void remove(FollowerStats f, long configurationIndex, int voters) {
        log.info("removing dead member id={} suffrage={} silentFor={}ms removeDeadAfter={}ms votersBefore={} minVoters={}",
                f.id(), f.voter() ? "voter" : "nonvoter", f.lastContact().toMillis(), removeDeadAfter.toMillis(), voters,
                minVoters);
        try {
            long index = raft.removeServer(f.id(), configurationIndex, CHANGE_TIMEOUT)
                    .get(CHANGE_TIMEOUT.toMillis() + 1_000, TimeUnit.MILLISECONDS);
            (f.voter() ? removedVoters : removedNonvoters).increment();
            log.info("removed dead member id={} silentFor={}ms configurationIndex={}", f.id(), f.lastContact().toMillis(), index);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("removing dead member id={} failed (retried at the next check): {}", f.id(),
                    e.getCause() == null ? e.toString() : e.getCause().toString());
        }
    }

    /** Stops the checks (an in-flight removal completes or times out on its own). */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
