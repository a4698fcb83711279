package dev.skiff.raft;

/**
 * What a {@link LogEntry} carries. The numeric {@link #code()} is the stable on-disk and
 * on-the-wire value: never renumber.
 */
public enum LogType {
    /** An application command, given to {@link Fsm#apply}. */
    COMMAND(1),
    /** Appended by a new leader to commit entries of earlier terms (§5.4.2); not applied. */
    NOOP(2),
    /** A membership change; its data is a {@link Configuration} in {@link ConfigurationCodec} form. */
    CONFIGURATION(3),
    /** Appended by {@link Raft#barrier}: resolves once every entry before it is applied. */
    BARRIER(4),
    /**
     * A user snapshot ({@link Raft#restore}) carried whole in the entry's data: applying it
     * replaces the FSM's state ({@link Fsm#applyRestore}). Committed like any entry, so a restore
     * takes effect on every server, at the same index, or on none.
     */
    RESTORE(5);

    private final int code;

    LogType(int code) {
        this.code = code;
    }

    /** The stable numeric code of this type. */
    public int code() {
        return code;
    }

    /**
     * The type with this code.
     *
     * @throws IllegalArgumentException for an unknown code (a corrupt or newer record)
     */
    public static LogType ofCode(int code) {
        return switch (code) {
            case 1 -> COMMAND;
            case 2 -> NOOP;
            case 3 -> CONFIGURATION;
            case 4 -> BARRIER;
            case 5 -> RESTORE;
            default -> throw new IllegalArgumentException("unknown log entry type code " + code);
        };
    }
}
