package dev.skiff.kv;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * An immutable, point-in-time view of the key-value state: every read on one instance sees the
 * same state, whatever the state machine applies meanwhile. Obtain one from
 * {@link KvStateMachine#state()}; read several things from it (say a value and the index it
 * was read at) to get answers that agree with each other.
 *
 * <p>Thread-safe and non-blocking. Holding an instance keeps its version of the state alive, so
 * do not keep one longer than a request.
 */
public final class KvState {

    private final PersistentTreeMap<String, KvEntry> entries;
    private final long appliedIndex;
    private final Coordination coordination;

    KvState(PersistentTreeMap<String, KvEntry> entries, long appliedIndex) {
        this(entries, appliedIndex, Coordination.empty(appliedIndex));
    }

    KvState(PersistentTreeMap<String, KvEntry> entries, long appliedIndex, Coordination coordination) {
        this.entries = entries;
        this.appliedIndex = appliedIndex;
        this.coordination = coordination;
    }

    static KvState empty() {
        return new KvState(PersistentTreeMap.empty(KvKeys.ORDER), 0);
    }

    /**
     * The coordination part of the state (API.md §8).
     *
     * @param sessions   session id to session
     * @param lockDelays key to the leader time (epoch millis) before which no session may acquire
     *                   it: the lock delay of the session that last held it, from its invalidation
     * @param kvIndex    the Raft index of the last change to any key (0 if none): what a blocking
     *                   read of an absent key or of a prefix waits to move
     */
    record Coordination(PersistentTreeMap<String, Session> sessions, PersistentTreeMap<String, Long> lockDelays,
                        long kvIndex) {
        static Coordination empty(long kvIndex) {
            return new Coordination(PersistentTreeMap.empty(KvKeys.ORDER), PersistentTreeMap.empty(KvKeys.ORDER), kvIndex);
        }
    }

    Coordination coordination() {
        return coordination;
    }

    /** The session with this id, if it exists (it has not been destroyed or expired). */
    public Optional<Session> session(String id) {
        return Optional.ofNullable(coordination.sessions().get(id));
    }

    /** Every session, ordered by id. */
    public List<Session> sessions() {
        List<Session> all = new ArrayList<>(coordination.sessions().size());
        coordination.sessions().iterator().forEachRemaining(n -> all.add(n.value()));
        return all;
    }

    /** The Raft index of the last change to any key; 0 if none. */
    public long kvIndex() {
        return coordination.kvIndex();
    }

    /**
     * The index a blocking read of {@code key} compares with the client's: the key's modifyIndex
     * while it exists, else {@link #kvIndex()} (so a delete moves it); at least 1, as in Consul.
     */
    public long watchIndex(String key) {
        KvEntry entry = entries.get(key);
        return Math.max(1, entry != null ? entry.modifyIndex() : coordination.kvIndex());
    }

    /**
     * The index a blocking read of a prefix compares with the client's: {@link #kvIndex()}, at
     * least 1. Any key's change wakes a prefix reader, which Consul's rules allow (a blocking
     * read may return early; the client compares the index it gets).
     */
    public long watchIndexOfPrefix(String prefix) {
        return Math.max(1, coordination.kvIndex());
    }

    /**
     * The Raft index of the last command applied to this state (or of the last command in the
     * snapshot it was restored from); 0 if none. Only command entries reach the state machine,
     * so this can trail Raft's own applied index, which also counts no-op and configuration
     * entries.
     */
    public long appliedIndex() {
        return appliedIndex;
    }

    /** The number of keys. O(1). */
    public int size() {
        return entries.size();
    }

    /**
     * The entry for {@code key}, if present.
     *
     * @throws IllegalArgumentException if the key is not valid ({@link KvKeys#requireValid})
     */
    public Optional<KvEntry> get(String key) {
        KvKeys.requireValid(key);
        return Optional.ofNullable(entries.get(key));
    }

    /**
     * Lists keys that start with {@code prefix}, in key order, after {@code afterKey}.
     *
     * @param prefix   the prefix every listed key starts with; "" lists all keys
     * @param afterKey list only keys after this one (exclusive); "" starts from the first key
     *                 with the prefix. Need not be a present key
     * @param limit    the most items to return, at least 1
     * @throws IllegalArgumentException if limit is below 1
     */
    public KvPage list(String prefix, String afterKey, int limit) {
        return list(prefix, afterKey, limit, key -> true);
    }

    /**
     * {@link #list(String, String, int)} of only the keys {@code visible} accepts (the keys an
     * ACL token may read): the others are passed over as if absent, and do not count toward
     * {@code limit}.
     */
    public KvPage list(String prefix, String afterKey, int limit, Predicate<String> visible) {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(afterKey, "afterKey");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, got " + limit);
        }
        // Keys with a prefix are contiguous in key order and start at the prefix itself.
        Iterator<PersistentTreeMap.Node<String, KvEntry>> it =
                KvKeys.ORDER.compare(afterKey, prefix) >= 0
                        ? entries.iteratorFrom(afterKey, false)
                        : entries.iteratorFrom(prefix, true);
        List<KvEntry> items = new ArrayList<>(Math.min(limit, 64));
        while (it.hasNext()) {
            KvEntry entry = it.next().value();
            if (!entry.key().startsWith(prefix)) {
                break;
            }
            if (!visible.test(entry.key())) {
                continue;
            }
            if (items.size() == limit) {
                return new KvPage(items, true, appliedIndex);
            }
            items.add(entry);
        }
        return new KvPage(items, false, appliedIndex);
    }

    /** All entries in key order; for snapshots and tests. */
    Iterator<KvEntry> iterator() {
        Iterator<PersistentTreeMap.Node<String, KvEntry>> nodes = entries.iterator();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return nodes.hasNext();
            }

            @Override
            public KvEntry next() {
                return nodes.next().value();
            }
        };
    }

    PersistentTreeMap<String, KvEntry> entries() {
        return entries;
    }
}
