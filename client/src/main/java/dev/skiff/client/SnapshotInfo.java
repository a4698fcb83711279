package dev.skiff.client;

/**
 * A snapshot the cluster took or sent.
 *
 * @param index the last Raft index it covers
 * @param term  the term of that entry
 * @param id    the store's id for it ("" when a download did not say)
 * @param size  its size in bytes (-1 when unknown)
 */
public record SnapshotInfo(long index, long term, String id, long size) {
}
