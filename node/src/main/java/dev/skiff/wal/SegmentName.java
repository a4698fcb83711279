package dev.skiff.wal;

import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The name of a segment file, which carries its index range (after Ratis'
 * {@code LogSegmentStartEnd}): {@code log_inprogress_<first>} while the segment is being
 * appended to, {@code log_<first>-<last>} once it is closed. Numbers are zero-padded to 20
 * digits so that a directory listing sorts in log order.
 *
 * @param firstIndex index of the segment's first entry (or of the entry it will start with)
 * @param lastIndex  index of its last entry when closed; 0 while in progress
 */
record SegmentName(long firstIndex, long lastIndex) {

    private static final Pattern CLOSED = Pattern.compile("log_(\\d{1,20})-(\\d{1,20})");
    private static final Pattern IN_PROGRESS = Pattern.compile("log_inprogress_(\\d{1,20})");

    SegmentName {
        if (firstIndex < 1) {
            throw new IllegalArgumentException("segment first index must be >= 1, got " + firstIndex);
        }
        if (lastIndex != 0 && lastIndex < firstIndex) {
            throw new IllegalArgumentException("segment last index " + lastIndex + " < first " + firstIndex);
        }
    }

    static SegmentName inProgress(long firstIndex) {
        return new SegmentName(firstIndex, 0);
    }

    static SegmentName closed(long firstIndex, long lastIndex) {
        if (lastIndex < firstIndex) {
            throw new IllegalArgumentException("closed segment needs last >= first, got " + firstIndex + "-" + lastIndex);
        }
        return new SegmentName(firstIndex, lastIndex);
    }

    boolean isInProgress() {
        return lastIndex == 0;
    }

    String fileName() {
        return isInProgress()
                ? String.format("log_inprogress_%020d", firstIndex)
                : String.format("log_%020d-%020d", firstIndex, lastIndex);
    }

    Path in(Path dir) {
        return dir.resolve(fileName());
    }

    /**
     * The segment named by {@code fileName}, or empty if it is not a segment name at all.
     *
     * @throws IllegalArgumentException if it looks like a segment name but its range is impossible
     */
    static Optional<SegmentName> parse(String fileName) {
        Matcher m = CLOSED.matcher(fileName);
        if (m.matches()) {
            return Optional.of(closed(Long.parseLong(m.group(1)), Long.parseLong(m.group(2))));
        }
        m = IN_PROGRESS.matcher(fileName);
        if (m.matches()) {
            return Optional.of(inProgress(Long.parseLong(m.group(1))));
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return fileName();
    }
}
