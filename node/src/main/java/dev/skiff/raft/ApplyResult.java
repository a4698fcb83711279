package dev.skiff.raft;

/**
 * The outcome of a committed and applied command.
 *
 * @param index    the log index the command was committed at
 * @param response what {@link Fsm#apply} returned for it (may be null)
 */
public record ApplyResult(long index, Object response) {
}
