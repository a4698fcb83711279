package dev.skiff.storage;

import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link ReachabilityCheck} every {@code interval} on a virtual thread and keeps the
 * latest answer, so that {@link StorageHealth} reads it without waiting on the network. Logs
 * once when the store becomes unreachable and once when it is back.
 *
 * <p>Thread-safe. {@link #close()} stops it.
 */
public final class StorageProber implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StorageProber.class);

    private final String component;
    private final ReachabilityCheck check;
    private final Duration interval;
    private final Thread thread;
    private volatile Optional<String> latest = Optional.empty();
    private volatile boolean closed;

    private StorageProber(String component, ReachabilityCheck check, Duration interval) {
        this.component = component;
        this.check = check;
        this.interval = interval;
        this.thread = Thread.ofVirtual().name("probe-" + component).unstarted(this::run);
    }

    /** Starts probing {@code check} and registers the answers with {@code health} as {@code component}. */
    public static StorageProber start(String component, ReachabilityCheck check, Duration interval, StorageHealth health) {
        StorageProber prober = new StorageProber(component, check, interval);
        health.watch(component, () -> prober.latest);
        prober.thread.start();
        return prober;
    }

    private void run() {
        while (!closed) {
            Optional<String> problem;
            try {
                problem = check.checkReachable();
            } catch (RuntimeException e) {
                problem = Optional.of(e.toString());
            }
            if (problem.isPresent() && latest.isEmpty()) {
                log.warn("{} store unreachable; still serving from the local log, checking every {} ms: {}", component,
                        interval.toMillis(), problem.get());
            } else if (problem.isEmpty() && latest.isPresent()) {
                log.info("{} store reachable again", component);
            }
            latest = problem;
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
