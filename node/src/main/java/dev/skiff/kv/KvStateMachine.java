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
import java.util.function.Consumer;

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
    private volatile Consumer<KvState> changeListener = s -> { };
    private volatile ChangeListener historyListener = (s, changes, replaced) -> { };

    /**
     * Why an acquire was refused when its session is unknown (expired, destroyed or never made):
     * compared whole by the handlers that answer it differently from a lock held by another
     * session, so that a key whose name holds the same words cannot pass for it.
     */
    public static String noSuchSession(String session) {
        return "session " + session + " does not exist (expired or destroyed)";
    }

    /** What a watch stream learns of each publication (API.md §8). */
    public interface ChangeListener {
        /**
         * Called on the FSM thread right after {@code state} is published, with the keys its
         * entries changed in commit order; {@code replaced} when a snapshot or a restore replaced
         * the state wholesale (the changes are then unknown and the list empty). Must be quick and
         * must not block.
         */
        void published(KvState state, List<KvChange> changes, boolean replaced);
    }

    /** An empty store that reports no timings. */
    public KvStateMachine() {
        this(ApplyTimings.NONE);
    }

    /** An empty store that tells {@code timings} how long each apply took. */
    public KvStateMachine(ApplyTimings timings) {
        this.timings = Objects.requireNonNull(timings, "timings");
    }

    /**
     * Sets what is told of every new state, on the FSM thread, right after it is published (after
     * each apply, batch or restore): blocking reads and watches wake from it. It must be quick
     * and must not block; it replaces the previous listener.
     */
    public void onChange(Consumer<KvState> listener) {
        this.changeListener = Objects.requireNonNull(listener, "listener");
    }

    /** Sets what is told of every publication with its key changes; replaces the previous one. */
    public void onChanges(ChangeListener listener) {
        this.historyListener = Objects.requireNonNull(listener, "listener");
    }

    private void publish(KvState next) {
        publish(next, List.of(), true);
    }

    private void publish(KvState next, List<KvChange> changes, boolean replaced) {
        state = next;
        changeListener.accept(next);
        historyListener.published(next, changes, replaced);
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
        acl = batch.acl;
        publish(batch.result(), batch.changes, false);
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
        acl = batch.acl;
        publish(batch.result(), batch.changes, false);
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
        acl = restored.acl();
        publish(restored.kv());
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
            // Locks, flags and holders stay as the backup has them, with the sessions that hold them.
            rewritten.add(new KvEntry(e.key(), e.value(), Math.min(e.createIndex(), index), index, e.lockIndex(), e.flags(),
                    e.session()));
        }
        KvState.Coordination backup = restored.kv().coordination();
        var sessions = backup.sessions();
        for (var it = backup.sessions().iterator(); it.hasNext(); ) {
            Session s = it.next().value();
            if (s.createIndex() > index) {
                sessions = sessions.put(s.id(), new Session(s.id(), s.name(), s.node(), s.ttlMillis(), s.lockDelayMillis(),
                        s.behavior(), index));
            }
        }
        acl = restored.acl();
        publish(new KvState(PersistentTreeMap.ofSorted(KvKeys.ORDER, rewritten, KvEntry::key), index,
                new KvState.Coordination(sessions, backup.lockDelays(), index)));
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
        /**
         * Lets this batch's puts and deletes reuse the tree nodes that earlier ones in the batch
         * made: nobody else sees {@link #entries} until {@link #result()} is published.
         */
        private PersistentTreeMap.Edit edit = new PersistentTreeMap.Edit();
        private long appliedIndex;
        private AclState acl;
        private PersistentTreeMap<String, Session> sessions;
        private PersistentTreeMap<String, Long> lockDelays;
        private long kvIndex;
        /** The key changes of this batch, in commit order. */
        private final List<KvChange> changes = new ArrayList<>();

        Batch(KvState start, AclState acl) {
            this.entries = start.entries();
            this.appliedIndex = start.appliedIndex();
            this.acl = acl;
            this.sessions = start.coordination().sessions();
            this.lockDelays = start.coordination().lockDelays();
            this.kvIndex = start.coordination().kvIndex();
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
            if (CoordinationCodec.isCoordination(data)) {
                return applyCoordination(entry.index(), data);
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

        private KvResult applyCoordination(long index, byte[] data) {
            CoordinationCommand command;
            try {
                command = CoordinationCodec.decode(data);
            } catch (IllegalArgumentException e) {
                return new KvResult.Rejected("entry " + index + ": " + e.getMessage());
            }
            return switch (command) {
                case CoordinationCommand.Txn txn -> txn(txn, index);
                case CoordinationCommand.SessionCreate create -> sessionCreate(create.session(), index);
                case CoordinationCommand.SessionDestroy destroy ->
                        sessionDestroy(destroy.id(), destroy.leaderMillis(), index);
            };
        }

        private KvResult put(KvCommand.Put put, long index) {
            KvEntry current = entries.get(put.key());
            long currentModifyIndex = current == null ? 0 : current.modifyIndex();
            if (put.cas().isPresent() && put.cas().getAsLong() != currentModifyIndex) {
                return new KvResult.CasFailed(currentModifyIndex);
            }
            write(put.key(), put.value(), 0, index, current);
            return new KvResult.Written(index);
        }

        private KvResult delete(KvCommand.Delete delete, long index) {
            KvEntry current = entries.get(delete.key());
            long currentModifyIndex = current == null ? 0 : current.modifyIndex();
            if (delete.cas().isPresent() && delete.cas().getAsLong() != currentModifyIndex) {
                return new KvResult.CasFailed(currentModifyIndex);
            }
            if (current != null) {
                drop(delete.key(), index);
            }
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

        /** A plain write keeps the key's lock (holder and lockIndex), as Consul's does. */
        private KvEntry write(String key, byte[] value, long flags, long index, KvEntry current) {
            KvEntry next = current == null
                    ? new KvEntry(key, value, index, index, 0, flags, null)
                    : new KvEntry(key, value, current.createIndex(), index, current.lockIndex(), flags, current.session());
            store(next);
            kvIndex = index;
            return next;
        }

        private KvResult txn(CoordinationCommand.Txn txn, long index) {
            boolean succeeded = true;
            for (TxnOp check : txn.compare()) {
                if (check(check, entries.get(check.key())) != null) {
                    succeeded = false;
                    break;
                }
            }
            List<TxnOp> branch = succeeded ? txn.success() : txn.failure();
            PersistentTreeMap<String, KvEntry> entriesBefore = entries;
            edit = new PersistentTreeMap.Edit(); // entriesBefore must stay as it is: the rollback
            long kvIndexBefore = kvIndex;
            int changesBefore = changes.size();
            List<KvResult.TxnResult> results = new ArrayList<>(branch.size());
            for (int i = 0; i < branch.size(); i++) {
                String error = run(branch.get(i), index, txn.leaderMillis(), results);
                if (error != null) {
                    // All or nothing: the persistent map before the branch is the rollback.
                    entries = entriesBefore;
                    kvIndex = kvIndexBefore;
                    changes.subList(changesBefore, changes.size()).clear();
                    return new KvResult.TxnDone(index, succeeded, List.of(), i, error);
                }
            }
            return new KvResult.TxnDone(index, succeeded, results, -1, "");
        }

        /** Runs one operation; returns why it failed, or null after adding its result. */
        private String run(TxnOp op, long index, long leaderMillis, List<KvResult.TxnResult> results) {
            KvEntry current = op.verb().onPrefix() ? null : entries.get(op.key());
            switch (op.verb()) {
                case SET -> results.add(written(op, write(op.key(), op.value(), op.flags(), index, current)));
                case CAS -> {
                    long modifyIndex = current == null ? 0 : current.modifyIndex();
                    if (modifyIndex != op.index()) {
                        return "key " + op.key() + " has modifyIndex " + modifyIndex + ", not " + op.index();
                    }
                    results.add(written(op, write(op.key(), op.value(), op.flags(), index, current)));
                }
                case LOCK -> {
                    String refused = lock(op, index, leaderMillis, current);
                    if (refused != null) {
                        return refused;
                    }
                    results.add(written(op, entries.get(op.key())));
                }
                case UNLOCK -> {
                    if (current == null || !op.session().equals(current.session())) {
                        return "key " + op.key() + " is not locked by session " + op.session();
                    }
                    KvEntry next = new KvEntry(op.key(), op.value(), current.createIndex(), index,
                            current.lockIndex(), op.flags(), null);
                    store(next);
                    kvIndex = index;
                    results.add(written(op, next));
                }
                case GET -> results.add(new KvResult.TxnResult(op, current == null ? List.of() : List.of(current), 0));
                case GET_TREE -> results.add(new KvResult.TxnResult(op, tree(op.key()), 0));
                case CHECK_INDEX, CHECK_SESSION, CHECK_NOT_EXISTS, CHECK_EXISTS, CHECK_VALUE -> {
                    String failed = check(op, current);
                    if (failed != null) {
                        return failed;
                    }
                    results.add(new KvResult.TxnResult(op, current == null ? List.of() : List.of(current), 0));
                }
                case DELETE -> results.add(new KvResult.TxnResult(op, List.of(), remove(op.key(), index) ? 1 : 0));
                case DELETE_CAS -> {
                    long modifyIndex = current == null ? 0 : current.modifyIndex();
                    if (modifyIndex != op.index()) {
                        return "key " + op.key() + " has modifyIndex " + modifyIndex + ", not " + op.index();
                    }
                    results.add(new KvResult.TxnResult(op, List.of(), remove(op.key(), index) ? 1 : 0));
                }
                case DELETE_TREE -> {
                    List<KvEntry> doomed = tree(op.key());
                    for (KvEntry e : doomed) {
                        remove(e.key(), index);
                    }
                    results.add(new KvResult.TxnResult(op, List.of(), doomed.size()));
                }
            }
            return null;
        }

        private static KvResult.TxnResult written(TxnOp op, KvEntry entry) {
            return new KvResult.TxnResult(op, List.of(entry), 0);
        }

        /** Consul's acquire: the session must exist, the key be free (or already its) and out of its lock delay. */
        private String lock(TxnOp op, long index, long leaderMillis, KvEntry current) {
            if (sessions.get(op.session()) == null) {
                return noSuchSession(op.session());
            }
            if (current != null && current.session() != null) {
                if (!current.session().equals(op.session())) {
                    return "key " + op.key() + " is locked by another session";
                }
                // The holder re-acquiring updates the value; lockIndex counts acquisitions only.
                store(new KvEntry(op.key(), op.value(), current.createIndex(), index,
                        current.lockIndex(), op.flags(), op.session()));
                kvIndex = index;
                return null;
            }
            Long delayedUntil = lockDelays.get(op.key());
            if (delayedUntil != null && leaderMillis < delayedUntil) {
                return "key " + op.key() + " is in its lock delay for " + (delayedUntil - leaderMillis) + " ms more";
            }
            store(current == null
                    ? new KvEntry(op.key(), op.value(), index, index, 1, op.flags(), op.session())
                    : new KvEntry(op.key(), op.value(), current.createIndex(), index, current.lockIndex() + 1,
                            op.flags(), op.session()));
            kvIndex = index;
            return null;
        }

        /** Returns why {@code check} fails on {@code current}, or null if it holds. */
        private static String check(TxnOp check, KvEntry current) {
            return switch (check.verb()) {
                case CHECK_INDEX -> {
                    long modifyIndex = current == null ? 0 : current.modifyIndex();
                    yield modifyIndex == check.index() ? null
                            : "key " + check.key() + " has modifyIndex " + modifyIndex + ", not " + check.index();
                }
                case CHECK_SESSION -> current != null && check.session().equals(current.session()) ? null
                        : "key " + check.key() + " is not locked by session " + check.session();
                case CHECK_NOT_EXISTS -> current == null ? null : "key " + check.key() + " exists";
                case CHECK_EXISTS -> current != null ? null : "key " + check.key() + " does not exist";
                case CHECK_VALUE -> current != null && java.util.Arrays.equals(current.value(), check.value()) ? null
                        : "key " + check.key() + " does not have the given value";
                default -> throw new IllegalArgumentException(check.verb() + " is not a check");
            };
        }

        private List<KvEntry> tree(String prefix) {
            List<KvEntry> found = new ArrayList<>();
            var it = entries.iteratorFrom(prefix, true);
            while (it.hasNext()) {
                KvEntry e = it.next().value();
                if (!e.key().startsWith(prefix)) {
                    break;
                }
                found.add(e);
            }
            return found;
        }

        private boolean remove(String key, long index) {
            if (entries.get(key) == null) {
                return false;
            }
            drop(key, index);
            return true;
        }

        private KvResult sessionCreate(Session session, long index) {
            if (sessions.get(session.id()) != null) {
                return new KvResult.Rejected("session " + session.id() + " exists already");
            }
            sessions = sessions.put(session.id(), new Session(session.id(), session.name(), session.node(),
                    session.ttlMillis(), session.lockDelayMillis(), session.behavior(), index));
            return new KvResult.SessionCreated(index, session.id());
        }

        /**
         * Invalidates a session: releases or deletes what it holds and starts the lock delay on
         * those keys. Scans every key (sessions hold few keys and end rarely; an index of held
         * keys would cost every write).
         */
        private KvResult sessionDestroy(String id, long leaderMillis, long index) {
            Session session = sessions.get(id);
            if (session == null) {
                return new KvResult.SessionDestroyed(index, false);
            }
            sessions = sessions.remove(id);
            // Lock delays that ran out are forgotten here, where the leader's time is known.
            List<String> expired = new ArrayList<>();
            lockDelays.iterator().forEachRemaining(n -> {
                if (n.value() <= leaderMillis) {
                    expired.add(n.key());
                }
            });
            for (String key : expired) {
                lockDelays = lockDelays.remove(key);
            }
            List<KvEntry> held = new ArrayList<>();
            entries.iterator().forEachRemaining(n -> {
                if (id.equals(n.value().session())) {
                    held.add(n.value());
                }
            });
            for (KvEntry e : held) {
                if (session.behavior() == Session.Behavior.DELETE) {
                    drop(e.key(), index);
                } else {
                    store(new KvEntry(e.key(), e.value(), e.createIndex(), index,
                            e.lockIndex(), e.flags(), null));
                }
                if (session.lockDelayMillis() > 0) {
                    lockDelays = lockDelays.put(e.key(), leaderMillis + session.lockDelayMillis());
                }
                kvIndex = index;
            }
            return new KvResult.SessionDestroyed(index, true);
        }

        private void store(KvEntry entry) {
            entries = entries.put(entry.key(), entry, edit);
            kvIndex = entry.modifyIndex();
            changes.add(new KvChange(entry.modifyIndex(), entry.key(), entry.value(), entry.modifyIndex()));
        }

        private void drop(String key, long index) {
            entries = entries.remove(key, edit);
            kvIndex = index;
            changes.add(new KvChange(index, key, null, 0));
        }

        KvState result() {
            return new KvState(entries, appliedIndex, new KvState.Coordination(sessions, lockDelays, kvIndex));
        }
    }
}
