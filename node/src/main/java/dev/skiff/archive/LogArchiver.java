package dev.skiff.archive;

import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogStore;
import dev.skiff.raft.Raft;
import dev.skiff.raft.RaftState;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.SnapshotStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --log-archive}: ships committed log entries to an object store (S3) as checksummed
 * segments, each described by a link of the hash-chained manifest ({@link ManifestRecord}),
 * at most about one {@code interval} behind the commit index.
 *
 * <p><b>Who archives: the leader.</b> Only the leader knows the commit index first-hand and
 * is sure to hold every committed entry in its log; a follower would archive behind the
 * leader by a heartbeat and could be missing the newest entries. The work is one sequential
 * read of recent entries (mostly from the WAL's tail cache) and two PUTs per interval, a
 * cost the benchmark in {@code bench/} measures against the same run without the archive.
 * Every other node polls the archive's head every few seconds, so each knows how far the
 * archive goes (for its status and for the log-compaction guard) and can take over at once.
 *
 * <p><b>No holes.</b> An archiver never trusts what it remembers: on becoming leader, and
 * after any failure, it reads the manifest chain's tail from the store and goes on from the
 * last link there. Links are created with {@code If-None-Match: *}, so when two archivers race
 * (an old leader that has not yet noticed, a second cluster on the same prefix) one of them
 * loses, reads the chain again and goes on from the winner's link. A store that ignores
 * conditional creates (S3Proxy 2.6) is detected at start; each link is then read back after
 * it is written, and a link replaced by another writer stops this archiver until it has
 * re-read the chain. Before appending, the archiver checks that its own log holds the chain's
 * last entry (same hash): another cluster's chain is never continued. Entries the archive
 * still needs are kept in the log ({@link ArchiveGuardedLogStore}); if the log has lost them
 * anyway (the node restored a snapshot ahead of its log), the next link continues from that
 * snapshot and records it as its base, so a restore knows which snapshot it needs.
 *
 * <p><b>Failures</b> (S3 unreachable) are retried with exponential backoff up to 30 s; the lag
 * grows meanwhile and shows in {@code /v1/status} and {@code /metrics}.
 *
 * <p>One thread; the status accessors may be called from any thread.
 */
public final class LogArchiver implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LogArchiver.class);
    /** Upper bound of one segment's payload. */
    static final long MAX_SEGMENT_BYTES = 8L << 20;
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final Duration FOLLOWER_POLL = Duration.ofSeconds(3);
    /** How often the leader applies --log-archive-retention. */
    static final Duration PRUNE_EVERY = Duration.ofMinutes(10);

    private final Raft raft;
    private final LogStore logs;
    private final SnapshotStore snapshots;
    private final ArchiveObjects objects;
    private final Duration interval;
    /** --log-archive-retention, or zero to keep everything. */
    private final Duration retention;
    private long lastPruneNanos = System.nanoTime();
    private final String nodeId;
    private final Thread thread;
    private final Counter segments;
    private final Counter failures;
    private volatile boolean closed;
    private volatile ArchiveChain chain;
    /** Whether this archiver checked its log against the chain's last entry since it last read the chain. */
    private boolean identityChecked;
    private volatile boolean conditionalCreates = true;
    private volatile String problem;
    private volatile long caughtUpAtMillis = System.currentTimeMillis();
    private volatile long lastUploadMillis;
    private long lastPollNanos;

    /**
     * Starts archiving (while this node leads) or following the archive's head (otherwise).
     *
     * @param snapshots this node's snapshot store, for the base of a link after a gap in the log
     */
    public LogArchiver(Raft raft, LogStore logs, SnapshotStore snapshots, ArchiveObjects objects, Duration interval,
                       Duration retention, String nodeId, MeterRegistry meters) {
        this.retention = Objects.requireNonNull(retention, "retention");
        this.raft = Objects.requireNonNull(raft, "raft");
        this.logs = Objects.requireNonNull(logs, "logs");
        this.snapshots = Objects.requireNonNull(snapshots, "snapshots");
        this.objects = Objects.requireNonNull(objects, "objects");
        this.interval = Objects.requireNonNull(interval, "interval");
        this.nodeId = nodeId;
        Gauge.builder("skiff_archive_archived_index", this, LogArchiver::archivedIndex)
                .description("the last log index in the log archive as this node knows it (-1 until known)").register(meters);
        Gauge.builder("skiff_archive_lag_entries", this, a -> a.lagEntries())
                .description("committed entries not yet in the log archive").register(meters);
        Gauge.builder("skiff_archive_lag_seconds", this, a -> a.lagMillis() / 1000.0)
                .description("how long the log archive has been behind the commit index").register(meters);
        this.segments = Counter.builder("skiff_archive_segments_uploaded").description("archive segments this node uploaded")
                .register(meters);
        this.failures = Counter.builder("skiff_archive_failures").description("archive rounds that failed and were retried")
                .register(meters);
        this.thread = Thread.ofPlatform().daemon().name("log-archiver").start(this::run);
    }

    /** The last archived index as this node knows it, or -1 before it has read the archive. */
    public long archivedIndex() {
        ArchiveChain c = chain;
        return c == null ? -1 : c.lastIndex();
    }

    /** Committed entries not yet archived (as this node knows). */
    public long lagEntries() {
        long archived = archivedIndex();
        return Math.max(0, raft.stats().commitIndex() - Math.max(0, archived));
    }

    /** Milliseconds since the archive last held every committed entry; 0 when it does now. */
    public long lagMillis() {
        return lagEntries() == 0 ? 0 : Math.max(0, System.currentTimeMillis() - caughtUpAtMillis);
    }

    /** For {@code /v1/status}: what the archive holds and how far behind it is. */
    public Map<String, Object> status() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("location", objects.toString());
        s.put("archiving", raft.state() == RaftState.LEADER && !closed);
        s.put("archived_index", archivedIndex());
        s.put("lag_entries", lagEntries());
        s.put("lag_ms", lagMillis());
        s.put("interval_ms", interval.toMillis());
        s.put("conditional_creates", conditionalCreates);
        s.put("last_upload", lastUploadMillis == 0 ? null : java.time.Instant.ofEpochMilli(lastUploadMillis).toString());
        long lag = lagMillis();
        s.put("state", problem != null ? "failing" : lag > 5 * interval.toMillis() ? "behind" : "ok");
        s.put("problem", problem == null ? (lag > 5 * interval.toMillis() ? "the archive has not caught up for " + lag
                + " ms (S3 slow or unreachable: requests are being retried)" : "ok") : problem);
        return s;
    }

    private void run() {
        long backoffMillis = interval.toMillis();
        try {
            conditionalCreates = probeConditionalCreates();
        } catch (IOException | RuntimeException e) {
            log.warn("log archive: cannot probe {} yet, assuming conditional creates are ignored: {}", objects, e.toString());
            conditionalCreates = false;
        }
        while (!closed) {
            long started = System.nanoTime();
            try {
                if (raft.state() == RaftState.LEADER) {
                    archiveRound();
                    pruneNowAndThen();
                } else {
                    identityChecked = false;
                    if (chain == null || System.nanoTime() - lastPollNanos > FOLLOWER_POLL.toNanos()) {
                        refresh();
                    }
                }
                if (problem != null) {
                    log.info("log archive recovered location={} archivedIndex={}", objects, archivedIndex());
                }
                problem = null;
                backoffMillis = interval.toMillis();
                sleepMillis(interval.toMillis() - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            } catch (IOException | RuntimeException e) {
                failures.increment();
                problem = e.getMessage() == null ? e.toString() : e.getMessage();
                log.warn("log archive round failed (retrying in {} ms) location={} archivedIndex={} cause={}", backoffMillis,
                        objects, archivedIndex(), problem);
                identityChecked = false;
                sleepMillis(backoffMillis);
                backoffMillis = Math.min(MAX_BACKOFF.toMillis(), backoffMillis * 2);
            }
        }
    }

    /** Retention, at most every {@link #PRUNE_EVERY}, on the leader only. */
    private void pruneNowAndThen() throws IOException {
        if (retention.isZero() || System.nanoTime() - lastPruneNanos < PRUNE_EVERY.toNanos()) {
            return;
        }
        lastPruneNanos = System.nanoTime();
        // The node's snapshot store is at the archive's location (NodeCommand requires it with retention).
        ArchiveRetention.prune(objects, snapshots, System.currentTimeMillis() - retention.toMillis());
    }

    private boolean probeConditionalCreates() throws IOException {
        if (objects.conditionalCreateHonoured()) {
            return true;
        }
        log.warn("log archive: {} ignores If-None-Match on PUT (conditional creates): each manifest link is read back after "
                + "writing instead, which detects a second writer after the fact rather than preventing it. Point one "
                + "cluster only at each archive prefix.", objects);
        return false;
    }

    private void refresh() throws IOException {
        ArchiveChain c = chain;
        // Only the last link is kept: the next links are checked onto it, and memory stays flat.
        chain = (c == null ? ArchiveChain.read(objects) : c.extend(objects)).tail();
        lastPollNanos = System.nanoTime();
        if (lagEntries() == 0) {
            caughtUpAtMillis = System.currentTimeMillis();
        }
    }

    /** Uploads everything committed since the archive's last link. */
    private void archiveRound() throws IOException {
        refresh();
        long commit = raft.stats().commitIndex();
        ArchiveChain c = chain;
        if (c.lastIndex() >= commit) {
            caughtUpAtMillis = System.currentTimeMillis();
            return; // a new leader's commit index has not yet reached what an old one archived
        }
        if (!identityChecked && c.last() != null) {
            checkSameHistory(c.last());
        }
        long from = c.lastIndex() + 1;
        while (from <= commit && raft.state() == RaftState.LEADER) {
            Long base = null;
            long first = logs.firstIndex();
            if (first == 0 || from < first) {
                long missing = from;
                SnapshotMeta snapshot = newestSnapshot().filter(s -> s.index() >= missing - 1).orElseThrow(() -> new IOException(
                        "entries from " + missing + " are no longer in this node's log and no snapshot covers them"));
                if (snapshot.index() >= commit) {
                    return;
                }
                base = snapshot.index();
                if (c.last() == null) {
                    log.info("log archive: starting the archive at snapshot {} (index {}): this node's log begins after it",
                            snapshot.id(), snapshot.index());
                } else {
                    log.warn("log archive: entries {}..{} are no longer in the log; the archive continues from snapshot {} "
                            + "(restores to those indexes are not possible)", from, snapshot.index(), snapshot.id());
                }
            }
            long start = base == null ? from : base + 1;
            List<LogEntry> entries = logs.getLogs(start, commit, MAX_SEGMENT_BYTES);
            if (entries.isEmpty()) {
                throw new IOException("entry " + start + " is not in this node's log (first " + logs.firstIndex() + ", last "
                        + logs.lastIndex() + ")");
            }
            if (!append(entries, base)) {
                return; // another writer got there first: next round re-reads the chain
            }
            from = chain.lastIndex() + 1;
        }
        if (chain.lastIndex() >= commit) {
            caughtUpAtMillis = System.currentTimeMillis();
        }
    }

    private Optional<SnapshotMeta> newestSnapshot() throws IOException {
        List<SnapshotMeta> all = snapshots.list();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
    }

    /**
     * The archive's last entry must be this node's entry at that index: else the chain is
     * another cluster's (or another history's), and appending to it would interleave two.
     */
    private void checkSameHistory(ManifestRecord last) throws IOException {
        Optional<LogEntry> mine = logs.getLog(last.lastIndex());
        if (mine.isPresent() && !ManifestRecord.sha256(mine.get()).equals(last.lastEntrySha256())) {
            throw new IllegalStateException("the log archive at " + objects + " holds another history: its entry "
                    + last.lastIndex() + " (manifest " + objects.describe(ManifestRecord.key(last.seq())) + ") is not this "
                    + "cluster's. Is another cluster archiving to the same prefix? Give each cluster its own "
                    + "--log-archive prefix; nothing was written");
        }
        identityChecked = true;
    }

    private boolean append(List<LogEntry> entries, Long base) throws IOException {
        ArchiveChain next = new ArchiveWriter(objects, nodeId, !conditionalCreates).append(chain, entries, base);
        if (next == null) {
            return false; // another writer got there first: the next round re-reads the chain
        }
        chain = next;
        identityChecked = true;
        lastUploadMillis = System.currentTimeMillis();
        segments.increment();
        return true;
    }

    private void sleepMillis(long millis) {
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    /**
     * Stops the archiver; a leader first ships what is committed, so a clean stop leaves no lag.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!thread.isAlive() && raft.state() == RaftState.LEADER && chain != null) {
            try {
                archiveRound();
            } catch (IOException | RuntimeException e) {
                log.warn("log archive: final round before stopping failed: {}", e.toString());
            }
        }
        try {
            objects.close();
        } catch (IOException e) {
            log.debug("closing {}: {}", objects, e.toString());
        }
    }
}
