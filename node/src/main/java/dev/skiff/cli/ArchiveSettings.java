package dev.skiff.cli;

import dev.skiff.archive.RestoreTarget;
import java.net.URI;
import java.time.Duration;

/**
 * The log archive flags.
 *
 * @param location  {@code --log-archive}: where committed entries are shipped, or null for none
 * @param interval  {@code --log-archive-interval}: how far behind the commit index the archive may be
 * @param retention {@code --log-archive-retention}: how far back restore points are kept; zero keeps everything
 * @param restoreTo {@code --restore-to-index} / {@code --restore-to-time}: with {@code --restore-from},
 *                  restore the archived state at that point; null for a plain snapshot restore
 * @param besideSnapshots the node's {@code --snapshots} are at the archive's location: restores start
 *                  from them, so they are kept for the restore points (all of them, or those the
 *                  retention window needs) rather than the newest few
 */
record ArchiveSettings(URI location, Duration interval, Duration retention, RestoreTarget restoreTo,
                       boolean besideSnapshots) {

    /** No archive, no point-in-time restore. */
    static final ArchiveSettings NONE = new ArchiveSettings(null, Duration.ofSeconds(1), Duration.ZERO, null, false);
}
