package dev.skiff.it;

import dev.skiff.it.cluster.NodeProcess;
import dev.skiff.it.cluster.ProcessCluster;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * The fault injector of the Jepsen-style test: in a loop, picks a node (the leader two
 * times in three: half the time on purpose, else by chance), then either kills it ({@code kill -9}) and restarts it, or pauses it
 * ({@code SIGSTOP}) and resumes it ({@code SIGCONT}), holding each fault for a random time.
 * One node at a time, so a majority is always up (with 3 or more nodes).
 *
 * <p>Runs on its own thread until stopped; {@link #healAll()} then restarts or resumes
 * whatever is still down.
 */
final class Nemesis implements Runnable {

    private final ProcessCluster cluster;
    private final AtomicBoolean stop;
    private final SplittableRandom random;
    int kills;
    int pauses;
    int onLeader;

    Nemesis(ProcessCluster cluster, AtomicBoolean stop, long seed) {
        this.cluster = cluster;
        this.stop = stop;
        this.random = new SplittableRandom(seed);
    }

    @Override
    public void run() {
        while (!stop.get()) {
            // Random gaps, not waits for a condition: the faults land at arbitrary points.
            hold(500, 2500);
            if (stop.get()) {
                return;
            }
            List<NodeProcess> nodes = cluster.nodes();
            NodeProcess leader = cluster.agreedLeader().orElse(null);
            NodeProcess target = leader != null && random.nextBoolean() ? leader : nodes.get(random.nextInt(nodes.size()));
            onLeader += target.equals(leader) ? 1 : 0;
            if (random.nextBoolean()) {
                kills++;
                cluster.kill9(target);
                hold(200, 3000);
                cluster.restart(target);
            } else {
                pauses++;
                cluster.pause(target);
                hold(200, 4000);
                cluster.resume(target);
            }
        }
    }

    /** Resumes paused nodes and restarts killed ones. */
    void healAll() {
        for (NodeProcess node : cluster.nodes()) {
            if (node.isPaused()) {
                cluster.resume(node);
            } else if (!node.isRunning()) {
                cluster.restart(node);
            }
        }
    }

    private void hold(int minMillis, int maxMillis) {
        LockSupport.parkNanos(Duration.ofMillis(random.nextInt(minMillis, maxMillis)).toNanos());
    }

    String describe() {
        return (kills + pauses) + " faults (" + kills + " kill -9 + restart, " + pauses + " SIGSTOP/SIGCONT, "
                + onLeader + " of them on the leader)";
    }
}
