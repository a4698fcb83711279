package dev.skiff.storage;

import java.util.Optional;

/**
 * A remote store that can say, cheaply and on demand, whether it is reachable right now (an
 * S3 snapshot store heads its bucket). The node runs the check in the background
 * ({@link StorageProber}) so that an outage shows in {@code /v1/status} and {@code /metrics}
 * even while the store is idle, instead of only when the next snapshot fails.
 *
 * <p>Implementations are thread-safe; {@link #checkReachable()} blocks for at most a few seconds.
 */
public interface ReachabilityCheck {

    /**
     * Checks the store once, without the long retries of ordinary calls.
     *
     * @return the problem (naming the store and the cause), or empty when it answered
     */
    Optional<String> checkReachable();
}
