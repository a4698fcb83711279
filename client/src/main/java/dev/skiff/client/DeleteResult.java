package dev.skiff.client;

/**
 * The answer to a delete.
 *
 * @param index   the Raft index of the delete
 * @param deleted whether the key existed (false: nothing to delete, still a committed write)
 */
public record DeleteResult(long index, boolean deleted) {
}
