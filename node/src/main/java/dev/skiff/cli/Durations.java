package dev.skiff.cli;

import java.time.Duration;

/** Parses durations on the command line: {@code 500ms}, {@code 2s}, {@code 5m}, {@code 1h}. */
final class Durations {

    private Durations() {
    }

    /** @throws IllegalArgumentException naming {@code flag} when {@code value} is not a duration */
    static Duration parse(String value, String flag) {
        String v = value == null ? "" : value.trim();
        try {
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            long n = Long.parseLong(v.substring(0, v.length() - 1));
            return switch (v.charAt(v.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                case 'd' -> Duration.ofDays(n);
                default -> throw new NumberFormatException();
            };
        } catch (NumberFormatException | StringIndexOutOfBoundsException | ArithmeticException e) {
            throw new IllegalArgumentException(flag + " must be a duration like 500ms, 2s, 5m, 1h or 30d, got '" + value + "'");
        }
    }

    /** {@code d} in the largest unit of {@link #parse} that shows it exactly: {@code 250ms}, {@code 2s}, {@code 1m}. */
    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms != 0 && ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms != 0 && ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms != 0 && ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}
