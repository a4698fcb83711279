package dev.skiff.raft;

import dev.skiff.raft.core.Ready;

/**
 * The leader's log writer (thesis §10.2.1): persists the entries of leader Readies off the
 * loop, in the order they were submitted, so that the loop keeps sending, receiving and
 * committing while the disk works. Each submitted Ready comes back through
 * {@link #takeCompleted()} with the outcome of its write, in submission order; only then does
 * the loop let the core count the leader's own log toward a quorum. Compactions go through the
 * writer too, because the log store accepts writes from one thread at a time.
 *
 * <p>After a failed write, later writes are not attempted (they would leave a gap) and come
 * back as {@link Completed#skipped()}; the loop persists them again itself, in order, once the
 * store works, after {@link #awaitIdle()}.
 *
 * <p>Implementations: {@link LogWriterThread} in production, a simulated disk in the
 * simulation.
 */
interface LogWriter {

    /**
     * A submitted Ready after its write.
     *
     * @param ready   the Ready
     * @param failure why the write failed, or null if it is durable
     * @param skipped true if it was not attempted because an earlier write failed
     */
    record Completed(Ready ready, Exception failure, boolean skipped) {
    }

    /** Queues the persistence of {@code ready} (its entries; it carries no hard state or reset). */
    void submit(Ready ready);

    /** Queues the compaction of {@code ready} after every write submitted before. */
    void submitCompaction(Ready ready);

    /** True if nothing is queued or being written. */
    boolean idle();

    /** Waits until every submitted job is done. */
    void awaitIdle() throws InterruptedException;

    /** The next finished write, in submission order, or null. */
    Completed takeCompleted();

    /** After the loop rewrote failed writes itself: later jobs are attempted again. */
    void resume();

    /** Stops writing; queued jobs are dropped. */
    void close();
}
