package dev.skiff.archive;

import dev.skiff.kv.CommitStamp;
import dev.skiff.raft.ApplyFuture;
import dev.skiff.raft.Configuration;
import dev.skiff.raft.Observation;
import dev.skiff.raft.Raft;
import dev.skiff.raft.RaftState;
import dev.skiff.raft.RaftStats;
import dev.skiff.raft.Server;
import dev.skiff.raft.SnapshotHandle;
import dev.skiff.raft.SnapshotMeta;
import java.io.InputStream;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The node's Raft as the client API sees it when the log is archived: every proposed command
 * is {@link CommitStamp stamped} with this node's wall-clock time. Only a leader's proposal is
 * appended (followers forward writes to the leader, whose API proposes them), so a stamp is the
 * leader's time shortly before the entry was appended, hence at or before its commit and its
 * acknowledgement: a restore to time T that keeps the entries up to the first one stamped
 * after T keeps every write acknowledged by T. Everything else is passed through unchanged.
 */
public final class StampingRaft implements Raft {

    private final Raft raft;
    private final LongSupplier clock;

    /** Stamps with {@link System#currentTimeMillis()}. */
    public StampingRaft(Raft raft) {
        this(raft, System::currentTimeMillis);
    }

    /** Stamps with {@code clock} (epoch milliseconds). */
    public StampingRaft(Raft raft, LongSupplier clock) {
        this.raft = Objects.requireNonNull(raft, "raft");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public ApplyFuture apply(byte[] command, Duration timeout) {
        return raft.apply(CommitStamp.stamp(command, clock.getAsLong()), timeout);
    }

    @Override
    public CompletableFuture<Long> barrier(Duration timeout) {
        return raft.barrier(timeout);
    }

    @Override
    public CompletableFuture<Void> verifyLeader() {
        return raft.verifyLeader();
    }

    @Override
    public CompletableFuture<Long> readIndex() {
        return raft.readIndex();
    }

    @Override
    public CompletableFuture<Long> leaseRead() {
        return raft.leaseRead();
    }

    @Override
    public CompletableFuture<Long> addVoter(String id, String address, String apiAddress, long prevIndex, Duration timeout) {
        return raft.addVoter(id, address, apiAddress, prevIndex, timeout);
    }

    @Override
    public CompletableFuture<Long> addNonvoter(String id, String address, String apiAddress, long prevIndex, Duration timeout) {
        return raft.addNonvoter(id, address, apiAddress, prevIndex, timeout);
    }

    @Override
    public CompletableFuture<Long> removeServer(String id, long prevIndex, Duration timeout) {
        return raft.removeServer(id, prevIndex, timeout);
    }

    @Override
    public CompletableFuture<Long> demoteVoter(String id, long prevIndex, Duration timeout) {
        return raft.demoteVoter(id, prevIndex, timeout);
    }

    @Override
    public CompletableFuture<Void> leadershipTransfer() {
        return raft.leadershipTransfer();
    }

    @Override
    public CompletableFuture<Void> leadershipTransferToServer(String id, String address) {
        return raft.leadershipTransferToServer(id, address);
    }

    @Override
    public CompletableFuture<SnapshotHandle> snapshot() {
        return raft.snapshot();
    }

    @Override
    public CompletableFuture<Long> restore(SnapshotMeta meta, InputStream data, Duration timeout) {
        return raft.restore(meta, data, timeout);
    }

    @Override
    public CompletableFuture<Void> bootstrapCluster(Configuration configuration) {
        return raft.bootstrapCluster(configuration);
    }

    @Override
    public RaftState state() {
        return raft.state();
    }

    @Override
    public Optional<Server> leader() {
        return raft.leader();
    }

    @Override
    public Configuration configuration() {
        return raft.configuration();
    }

    @Override
    public long appliedIndex() {
        return raft.appliedIndex();
    }

    @Override
    public RaftStats stats() {
        return raft.stats();
    }

    @Override
    public void addObserver(Consumer<Observation> observer) {
        raft.addObserver(observer);
    }

    @Override
    public void removeObserver(Consumer<Observation> observer) {
        raft.removeObserver(observer);
    }

    @Override
    public CompletableFuture<Void> shutdown() {
        return raft.shutdown();
    }
}
