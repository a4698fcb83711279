package dev.skiff.raft;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

/**
 * A {@link SnapshotStore} in memory, for tests and simulations. Keeps the {@code retain}
 * newest snapshots. One instance given to several servers models a store shared by the
 * cluster ({@link #sharedByCluster(int)}). Thread-safe.
 */
public final class InMemorySnapshotStore implements SnapshotStore {

    /** Newest-first order: higher term, then higher index, then later creation. */
    public static final Comparator<SnapshotMeta> NEWEST_FIRST = Comparator
            .comparingLong(SnapshotMeta::term).thenComparingLong(SnapshotMeta::index).reversed();

    private record Stored(SnapshotMeta meta, byte[] data, long sequence) {
    }

    private final int retain;
    private final boolean shared;
    private final List<Stored> snapshots = new ArrayList<>();
    private final AtomicLong sequence = new AtomicLong();

    /** @param retain how many snapshots to keep (at least 1) */
    public InMemorySnapshotStore(int retain) {
        this(retain, false);
    }

    private InMemorySnapshotStore(int retain, boolean shared) {
        if (retain < 1) {
            throw new IllegalArgumentException("retain must be >= 1, got " + retain);
        }
        this.retain = retain;
        this.shared = shared;
    }

    /**
     * A store to give to every server of a cluster, as they would share one S3 prefix:
     * {@link #sharedByCluster()} is true.
     *
     * @param retain how many snapshots to keep, of all the servers' (at least 1)
     */
    public static InMemorySnapshotStore sharedByCluster(int retain) {
        return new InMemorySnapshotStore(retain, true);
    }

    @Override
    public boolean sharedByCluster() {
        return shared;
    }

    /** A store that keeps the two newest snapshots. */
    public InMemorySnapshotStore() {
        this(2);
    }

    @Override
    public SnapshotSink create(long index, long term, Configuration configuration, long configurationIndex) {
        long seq = sequence.incrementAndGet();
        String id = term + "-" + index + "-" + seq;
        SnapshotMeta meta = new SnapshotMeta(id, index, term, configuration, configurationIndex, -1, "");
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        return new SnapshotSink() {
            private boolean done;

            @Override
            public String id() {
                return id;
            }

            @Override
            public OutputStream out() {
                return buffer;
            }

            @Override
            public SnapshotMeta commit() {
                if (done) {
                    throw new IllegalStateException("snapshot " + id + " already committed or cancelled");
                }
                done = true;
                byte[] data = buffer.toByteArray();
                CRC32C crc = new CRC32C();
                crc.update(data);
                SnapshotMeta finished = meta.withData(data.length, "crc32c:" + Long.toHexString(crc.getValue()));
                synchronized (InMemorySnapshotStore.this) {
                    snapshots.add(new Stored(finished, data, seq));
                    snapshots.sort(Comparator.comparing(Stored::meta, NEWEST_FIRST)
                            .thenComparing(Comparator.comparingLong(Stored::sequence).reversed()));
                    while (snapshots.size() > retain) {
                        snapshots.remove(snapshots.size() - 1);
                    }
                }
                return finished;
            }

            @Override
            public void cancel() {
                done = true;
            }
        };
    }

    @Override
    public synchronized List<SnapshotMeta> list() {
        return snapshots.stream().map(Stored::meta).toList();
    }

    @Override
    public synchronized OpenSnapshot open(String id) throws FileNotFoundException {
        for (Stored s : snapshots) {
            if (s.meta().id().equals(id)) {
                return new OpenSnapshot(s.meta(), new ByteArrayInputStream(s.data()));
            }
        }
        throw new FileNotFoundException("no snapshot " + id);
    }

    @Override
    public synchronized void delete(String id) {
        snapshots.removeIf(s -> s.meta().id().equals(id));
    }
}
