/**
 * Durable storage on local disk behind the Raft library's storage interfaces: the segmented
 * write-ahead log ({@link dev.skiff.wal.SegmentedLogStore}), the term-and-vote file
 * ({@link dev.skiff.wal.FileStableStore}) and the snapshot directory
 * ({@link dev.skiff.wal.FileSnapshotStore}). Every file is checksummed; damage is reported
 * with the file, the offset and how to recover, never returned as data.
 */
package dev.skiff.wal;
