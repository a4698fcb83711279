package dev.skiff.raft;

import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.RaftMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

/**
 * One simulated server: a real {@link RaftNode} in a {@link SimRuntime}, over in-memory stores
 * that survive a crash (its "disk"). Everything else (the node, its FSM, its queues) is lost on a
 * crash, and a restart runs {@link RaftNode#start} on what the stores hold, as a real process
 * does.
 */
final class SimNode {

    final String id;
    final String address;
    /** The node's disk; replaced by empty stores on a simulated disk loss. */
    InMemoryLogStore logs;
    /** Term and vote; outlives the disk when {@link #loseDisk} keeps it (a shared {@code --stable} store). */
    SimStableRecord stable = new SimStableRecord();
    SnapshotStore snapshots;

    RaftNode raft;
    SimFsm fsm;
    SimRuntime runtime;
    /** The handler inbound messages go to: the running node's, or null while it is down. */
    private MessageHandler handler;

    SimNode(String id, SnapshotStore snapshots) {
        this.id = id;
        this.logs = new InMemoryLogStore(id + "-disk0");
        this.address = id + ":7000";
        this.snapshots = snapshots;
    }

    boolean up() {
        return raft != null && runtime.alive();
    }

    void start(SimCluster cluster, RaftConfig config, double clockRate, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        fsm = new SimFsm(cluster, this);
        runtime = new SimRuntime(cluster, this, clockRate, random.nextLong(1L << 40));
        try {
            raft = RaftNode.start(config.withLocalId(id), fsm, logs, stable.open(), snapshots, new SimTransport(cluster), runtime,
                    random.split());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // A node stops itself on a fatal error (an FSM that failed, a store that fenced it): in
        // the simulation that is always a finding, and often a broken invariant in disguise.
        SimRuntime process = runtime;
        raft.addObserver(o -> {
            if (o instanceof Observation.Fatal fatal) {
                if (runtime != process && fenced(fatal.cause())) {
                    // An older process under this id, replaced by a twin that took the record over.
                    cluster.trace(id + "'s old process stops: " + fatal.cause().getMessage());
                } else {
                    cluster.failLater(id + " stopped on a fatal error: " + fatal.cause());
                }
            }
        });
    }

    private static boolean fenced(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof StableStoreFencedException) {
                return true;
            }
        }
        return false;
    }

    /** Kills the process; of its queued disk writes, the first {@code durable} reached the disk. */
    void crash(int durable) {
        runtime.kill(durable);
        handler = null;
        raft = null;
        fsm = null;
    }

    /**
     * Replaces the crashed node's log, stable store (and its own snapshot store if
     * {@code snapshotsToo}) with empty ones, as after a wiped data directory; the new log has a
     * new incarnation. With {@code keepStable} the term and vote survive, as with a shared
     * {@code --stable} store.
     */
    void loseDisk(String newIncarnation, boolean keepStable, boolean snapshotsToo) {
        if (up()) {
            throw new IllegalStateException(id + " must be down to lose its disk");
        }
        logs = new InMemoryLogStore(newIncarnation);
        if (!keepStable) {
            stable = new SimStableRecord();
        }
        if (snapshotsToo) {
            snapshots = new InMemorySnapshotStore(2);
        }
    }

    /**
     * Starts a second process under this id and address while this one runs: a replacement on a
     * new, empty disk ({@code newIncarnation}; its own snapshot store unless the cluster shares
     * one) that opens the same stable record. From now on the address reaches the new process;
     * the old one keeps running and sending until the record fences it or it is killed.
     *
     * @return the old process, to kill later
     */
    SimRuntime startTwin(SimCluster cluster, RaftConfig config, double clockRate, long seed, String newIncarnation,
                         boolean ownSnapshots) {
        SimRuntime old = runtime;
        logs = new InMemoryLogStore(newIncarnation);
        if (ownSnapshots) {
            snapshots = new InMemorySnapshotStore(2);
        }
        start(cluster, config, clockRate, seed);
        return old;
    }

    void deliver(RaftMessage m) {
        if (handler != null && runtime.alive()) {
            handler.onMessage(m);
        }
    }

    /** Stores an inbound snapshot the way the transport hands it over; false if the node is down. */
    boolean deliverSnapshot(InstallSnapshot header, byte[] data) {
        if (handler == null || !runtime.alive()) {
            return false;
        }
        try {
            handler.onSnapshot(header, new java.io.ByteArrayInputStream(data));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The node's transport: the cluster's simulated network. */
    private final class SimTransport implements Transport {

        private final SimCluster cluster;

        SimTransport(SimCluster cluster) {
            this.cluster = cluster;
        }

        @Override
        public String localAddress() {
            return address;
        }

        @Override
        public void start(MessageHandler h) {
            handler = h;
        }

        @Override
        public void send(String targetAddress, RaftMessage message) {
            cluster.send(SimNode.this, targetAddress, message);
        }

        @Override
        public CompletableFuture<Void> sendSnapshot(String targetAddress, InstallSnapshot header, OpenSnapshot snapshot) {
            return cluster.sendSnapshot(SimNode.this, targetAddress, header, snapshot);
        }

        @Override
        public void close() {
        }
    }
}
