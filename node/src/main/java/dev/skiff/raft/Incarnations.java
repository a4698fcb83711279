package dev.skiff.raft;

/**
 * Log incarnations ({@link LogStore#incarnation()}) and what they tell: whether a log began with
 * its server's own bootstrap entry (a founded log) or was filled from other servers (a server
 * that joined, or came back with a new log after losing its data). Bootstrap turns an empty
 * log's incarnation into its founded form; a log written before incarnations existed has none
 * and counts as founded.
 *
 * <p>Why it matters: a configuration that records no incarnation for a member (a founding
 * configuration, or a member added before the leader heard from it) counts that member's votes
 * and acknowledgements only from a founded log. A log copied from others might be a replacement
 * for one whose acknowledgements helped commit entries it lacks; it counts only once the leader
 * has recorded it (staged, then promoted when caught up).
 */
public final class Incarnations {

    /** What bootstrap puts before an empty log's incarnation. */
    public static final String FOUNDED_PREFIX = "founded-";

    /**
     * What a configuration records for a member added before the leader heard from it: any log
     * counts as the member's until the leader records the one that answers (within a tick of its
     * first answer). A member that loses its data inside that window cannot be told from its
     * first log: the one case incarnations do not cover. ({@code ""}, by contrast, is what a
     * founding configuration records: only founded logs count under it.)
     */
    public static final String ADDED = "added";

    private Incarnations() {
    }

    /** The founded form of an empty log's {@code incarnation} (idempotent). */
    public static String founded(String incarnation) {
        return isFounded(incarnation) ? incarnation : FOUNDED_PREFIX + incarnation;
    }

    /**
     * True for a log that began with its server's bootstrap entry, or has no incarnation (written
     * before they existed); false for null (a log not heard from).
     */
    public static boolean isFounded(String incarnation) {
        return incarnation != null && (incarnation.isEmpty() || incarnation.startsWith(FOUNDED_PREFIX));
    }
}
