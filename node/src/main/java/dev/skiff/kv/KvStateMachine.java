package dev.skiff.kv;

import dev.skiff.acl.AclCommand;
import dev.skiff.acl.AclCommandCodec;
import dev.skiff.acl.AclResult;
import dev.skiff.acl.AclState;
import dev.skiff.raft.BatchingFsm;
import dev.skiff.raft.FsmSnapshot;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The replicated key-value store: an ordered map of key to (value, createIndex, modifyIndex),
 * changed only by committed {@link KvCommand}s.
 *
 * <p><b>Threading.</b> {@link #apply}, {@link #applyBatch}, {@link #snapshot} and
 * {@link #restore} are called by Raft from its one FSM thread, never concurrently. Reads
 * ({@link #state}, {@link #get}, {@link #list}, {@link #appliedIndex}) may come from any thread
 * at any time: they read an immutable {@link KvState} through a volatile reference, so they
 * never block, are never blocked, and always see a state as of the end of an apply call. After
 * {@code apply} or {@code applyBatch} returns, every read sees its effects.
 *
 * <p><b>Snapshots.</b> {@link #snapshot} is O(1): it keeps the current immutable state, which
 * {@link FsmSnapshot#persist} then streams (format: {@code KvSnapshotCodec}) on Raft's snapshot
 * thread while applies go on.
 *
 * <p><b>Determinism.</b> The state after an entry depends only on the state before it and the
 * entry's index and bytes: no clock, no randomness, no hash ordering.
 */
public final class KvStateMachine implements BatchingFsm {

    private final ApplyTimings timings;
    private volatile KvState state = KvState.empty();
    /** The ACL token table: replicated state beside the keys, changed by {@link AclCommand} entries. */
    private volatile AclState acl = AclState.empty();

    /** An empty store that reports no timings. */
    public KvStateMachine() {
        this(ApplyTimings.NONE);
    }

    /** An empty store that tells {@code timings} how long each apply took. */
    public KvStateMachine(ApplyTimings timings) {
        this.timings = Objects.requireNonNull(timings, "timings");
    }

    /** The current state, for consistent multi-part reads. Any thread; never blocks. */
    public KvState state() {
        return state;
    }

    /** The ACL token table as of the last apply. Any thread; never blocks. */
    public AclState acl() {
        return acl;
    }

    /** Shortcut for {@code state().get(key)}. */
    public Optional<KvEntry> get(String key) {
        return state.get(key);
    }

    /** Shortcut for {@code state().list(prefix, afterKey, limit)}. */
    public KvPage list(String prefix, String afterKey, int limit) {
        return state.list(prefix, afterKey, limit);
    }

    /** Shortcut for {@code state().appliedIndex()}. */
    public long appliedIndex() {
        return state.appliedIndex();
    }

    /**
     * Applies one committed command entry.
     *
     * @return a {@link KvResult}, or an {@link AclResult} for an ACL command
     */
    @Override
    public Object apply(LogEntry entry) {
        long started = System.nanoTime();
        Batch batch = new Batch(state, acl);
        Object result = batch.apply(entry);
        state = batch.result();
        acl = batch.acl;
        timings.applied(1, System.nanoTime() - started);
        return result;
    }

    /**
     * Applies consecutive committed command entries and publishes the result once, so readers
     * see the state before the batch or after it.
     *
     * @return one {@link KvResult} (or {@link AclResult}) per entry, in order
     */
    @Override
    public List<Object> applyBatch(List<LogEntry> entries) {
        long started = System.nanoTime();
        Batch batch = new Batch(state, acl);
        List<Object> results = new ArrayList<>(entries.size());
        for (LogEntry entry : entries) {
            results.add(batch.apply(entry));
        }
        state = batch.result();
        acl = batch.acl;
        timings.applied(entries.size(), System.nanoTime() - started);
        return results;
    }

    /** O(1): keeps a reference to the current immutable state. */
    @Override
    public FsmSnapshot snapshot() {
        return new PinnedSnapshot(state, acl);
    }

    /**
     * Replaces the state with a snapshot written by {@link FsmSnapshot#persist}. Reads the stream
     * to its end and builds the new state aside; readers see the old state until it is complete
     * and verified, so memory must hold both states while it runs.
     *
     * @throws IOException naming the problem and its byte offset if the snapshot is truncated,
     *                     corrupt or of an unknown version; the state is then unchanged
     */
    @Override
    public void restore(InputStream snapshot) throws IOException {
        KvSnapshotCodec.Restored restored = KvSnapshotCodec.readWithAcl(snapshot);
        state = restored.kv();
        acl = restored.acl();
    }

    /**
     * Replaces the state with the user snapshot a committed restore entry carries, as if every
     * key had been written by that entry: each key's modify index becomes the entry's index
     * (and a create index above it is lowered to it), so indexes stay below every later write
     * even when the snapshot comes from a cluster with a longer log, and a CAS or blocking read
     * that waited on an older index sees the change.
     *
     * @throws IOException as {@link #restore}; the state is then unchanged
     */
    @Override
    public void applyRestore(LogEntry entry) throws IOException {
        KvSnapshotCodec.Restored restored = KvSnapshotCodec.readWithAcl(new ByteArrayInputStream(entry.data()));
        long index = entry.index();
        List<KvEntry> rewritten = new ArrayList<>(restored.kv().size());
        for (var node : restored.kv().entries()) {
            KvEntry e = node.value;
            rewritten.add(new KvEntry(e.key(), e.value(), Math.min(e.createIndex(), index), index));
        }
        state = new KvState(PersistentTreeMap.ofSorted(KvKeys.ORDER, rewritten, KvEntry::key), index);
        acl = restored.acl();
    }

    /**
     * A snapshot of one immutable state: persist may run on any thread, at any time, while the
     * state machine moves on. Release has nothing to free; dropping the reference is enough.
     */
    private record PinnedSnapshot(KvState state, AclState acl) implements FsmSnapshot {
        @Override
        public void persist(OutputStream out) throws IOException {
            KvSnapshotCodec.write(state, acl, out);
        }
    }

    /** The state as one batch of entries changes it; confined to the FSM thread. */
    private static final class Batch {
        private PersistentTreeMap<String, KvEntry> entries;
        private long appliedIndex;
        private AclState acl;

        Batch(KvState start, AclState acl) {
            this.entries = start.entries();
            this.appliedIndex = start.appliedIndex();
            this.acl = acl;
        }

        Object apply(LogEntry entry) {
            if (entry.type() != LogType.COMMAND) {
                return new KvResult.Rejected("entry " + entry.index() + " is " + entry.type() + ", not a command");
            }
            if (entry.index() <= appliedIndex) {
                // Applying twice would break determinism (a CAS could pass once and fail after).
                return new KvResult.Rejected("entry " + entry.index()
                        + " is not after the applied index " + appliedIndex);
            }
            appliedIndex = entry.index();
            // A proposal may carry the leader's clock (the log archive's stamp) before the command.
            byte[] data = CommitStamp.strip(entry.data());
            if (AclCommandCodec.isAclCommand(data)) {
                return applyAcl(entry.index(), data);
            }
            KvCommand command;
            try {
                command = KvCommandCodec.decode(data);
            } catch (IllegalArgumentException e) {
                return new KvResult.Rejected("entry " + entry.index() + ": " + e.getMessage());
            }
            return switch (command) {
                case KvCommand.Put put -> put(put, entry.index());
                case KvCommand.Delete delete -> delete(delete, entry.index());
            };
        }

        private KvResult put(KvCommand.Put put, long index) {
            KvEntry current = entries.get(put.key());
            long currentModifyIndex = current == null ? 0 : current.modifyIndex();
            if (put.cas().isPresent() && put.cas().getAsLong() != currentModifyIndex) {
                return new KvResult.CasFailed(currentModifyIndex);
            }
            long createIndex = current == null ? index : current.createIndex();
            entries = entries.put(put.key(), new KvEntry(put.key(), put.value(), createIndex, index));
            return new KvResult.Written(index);
        }

        private KvResult delete(KvCommand.Delete delete, long index) {
            KvEntry current = entries.get(delete.key());
            long currentModifyIndex = current == null ? 0 : current.modifyIndex();
            if (delete.cas().isPresent() && delete.cas().getAsLong() != currentModifyIndex) {
                return new KvResult.CasFailed(currentModifyIndex);
            }
            entries = entries.remove(delete.key());
            return new KvResult.Deleted(index, current != null);
        }

        private Object applyAcl(long index, byte[] data) {
            AclCommand command;
            try {
                command = AclCommandCodec.decode(data);
            } catch (IllegalArgumentException e) {
                return new KvResult.Rejected("entry " + index + ": " + e.getMessage());
            }
            AclState.Applied applied = acl.apply(command, index);
            acl = applied.state();
            return applied.result();
        }

        KvState result() {
            return new KvState(entries, appliedIndex);
        }
    }
}
