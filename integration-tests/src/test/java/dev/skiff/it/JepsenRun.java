package dev.skiff.it;

import dev.skiff.it.cluster.ProcessCluster;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * The schedule the Jepsen-style tests share ({@link LinearizabilityIT}, {@link
 * CoordinationLinearizabilityIT}): their duration and seed from {@code -Dskiff.jepsen.seconds}
 * and {@code -Dskiff.jepsen.seed}, and one run of clients against a {@link Nemesis}.
 */
final class JepsenRun {

    private JepsenRun() {
    }

    /** {@code -Dskiff.jepsen.seconds}, else {@code fallback} (each test's default-suite length). */
    static int seconds(int fallback) {
        String v = System.getProperty("skiff.jepsen.seconds", "").trim();
        return v.matches("\\d+") ? Integer.parseInt(v) : fallback;
    }

    /** {@code -Dskiff.jepsen.seed}, default a fresh one (printed by the tests, so a failure can be replayed). */
    static long seed() {
        String v = System.getProperty("skiff.jepsen.seed", "").trim();
        return v.matches("-?\\d+") ? Long.parseLong(v) : System.nanoTime();
    }

    /**
     * Runs {@code clients} (each until {@code stopClients} is set) and a nemesis seeded with
     * {@code seed} for {@code seconds}; then heals every node and lets the clients go on for 2 s
     * after a leader is back, so that the history ends on a healthy cluster; then stops them.
     *
     * @return the nemesis, for its counts and description
     */
    static Nemesis run(ProcessCluster cluster, long seed, int seconds, List<Runnable> clients, AtomicBoolean stopClients)
            throws Exception {
        AtomicBoolean stopNemesis = new AtomicBoolean();
        Nemesis nemesis = new Nemesis(cluster, stopNemesis, seed);
        try (ExecutorService clientThreads = Executors.newVirtualThreadPerTaskExecutor();
             ExecutorService faults = Executors.newSingleThreadExecutor()) {
            List<Future<?>> running = new ArrayList<>();
            for (Runnable client : clients) {
                running.add(clientThreads.submit(client));
            }
            Future<?> nemesisDone = faults.submit(nemesis);
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(seconds)); // the test's duration, not a wait for a condition
            stopNemesis.set(true);
            nemesisDone.get(30, TimeUnit.SECONDS);
            nemesis.healAll();
            // The clients keep going while the cluster recovers: the history ends healthy.
            cluster.awaitLeader();
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(2));
            stopClients.set(true);
            for (Future<?> f : running) {
                f.get(30, TimeUnit.SECONDS);
            }
        }
        return nemesis;
    }
}
