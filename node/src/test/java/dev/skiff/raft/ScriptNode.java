package dev.skiff.raft;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.skiff.raft.core.HardState;
import dev.skiff.raft.core.RaftCore;
import dev.skiff.raft.core.Ready;
import dev.skiff.raft.message.AppendEntriesResponse;
import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.RaftMessage;
import dev.skiff.raft.message.RequestVote;
import dev.skiff.raft.message.RequestVoteResponse;
import java.io.ByteArrayInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

/**
 * One server for the core tests (the step-by-step scripts of {@code ScriptCluster} and the
 * core's unit tests): the production {@link RaftNode} in a {@link ScriptRuntime}, over in-memory
 * stores that survive a crash, with a {@link ListFsm}. Nothing moves until the test calls
 * {@link #process()} (or {@link #tick()}), which runs the node's loop, disk and FSM on the
 * test's thread until it is quiet, so the test may also step {@link #core} directly between
 * calls (it is on the loop's thread then). What the node sends waits in an outbox the test
 * delivers from.
 */
public final class ScriptNode {

    /** The core's notices, as the driver logs them ({@code "<notice> id=<server>"}), until a test takes them. */
    private static final List<ILoggingEvent> NOTICES = new ArrayList<>();

    static {
        AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent event) {
                if ("{} id={}".equals(event.getMessage())) {
                    synchronized (NOTICES) {
                        NOTICES.add(event);
                    }
                }
            }
        };
        appender.setName("script-node-notices");
        appender.start();
        ((Logger) org.slf4j.LoggerFactory.getLogger(RaftNode.class)).addAppender(appender);
    }

    /** A message the node sent; for a snapshot, its data and the transfer's outcome, which the deliverer completes. */
    public record Sent(RaftMessage message, byte[] snapshotData, CompletableFuture<Void> transfer) {
    }

    public final String id;
    public final String address;
    public final InMemoryLogStore logs;
    public final InMemoryStableStore stable = new InMemoryStableStore();
    public final InMemorySnapshotStore snapshots = new InMemorySnapshotStore(2);
    public final RaftStorage storage;
    /** The running node's core (step it only between calls to {@link #process()}); null while down. */
    public RaftCore core;

    private RaftNode raft;
    private ListFsm fsm;
    private ScriptRuntime runtime;
    private long tickNanos;
    private MessageHandler handler;
    private final List<Sent> outbox = new ArrayList<>();

    /** A server whose log has no incarnation, as one written before incarnations: the scripts' traces stay as they were. */
    public ScriptNode(String id) {
        this(id, "");
    }

    public ScriptNode(String id, String incarnation) {
        this.id = id;
        this.address = id + ":7000";
        this.logs = new InMemoryLogStore(incarnation);
        this.storage = new RaftStorage(logs, stable, snapshots);
    }

    /** Starts (or restarts) a node on what the stores hold, as a real server does after a crash. */
    public void start(RaftConfig config, long seed) {
        fsm = new ListFsm();
        runtime = new ScriptRuntime(id);
        tickNanos = config.tickInterval().toNanos();
        try {
            raft = RaftNode.start(config.withLocalId(id), fsm, logs, stable, snapshots, new OutboxTransport(), runtime,
                    new SplittableRandom(seed));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        core = raft.core();
    }

    /** Due times, on this node's clock (which starts at 0), of its timers neither fired nor cancelled. */
    public List<Long> pendingTimers() {
        return runtime.pendingTimers();
    }

    public boolean up() {
        return raft != null;
    }

    /**
     * Holds the leader's log writer (a slow fsync) until released: the driver keeps sending and
     * committing with its followers meanwhile, but must not count its own log until the write is
     * done. A crash while held loses the held writes.
     */
    public void holdDisk(boolean held) {
        runtime.holdDisk(held);
    }

    /** Kills the process: everything not in the stores is lost. */
    public void crash() {
        runtime.kill();
        raft = null;
        core = null;
        handler = null;
        outbox.clear();
    }

    /** Runs the node until it is quiet; returns the Readies it carried out, in order. */
    public List<Ready> process() {
        if (!up()) {
            return List.of();
        }
        runtime.pump(true);
        return runtime.takeCarriedOut();
    }

    /**
     * One tick of the node's clock passes and the node runs until quiet (its loop catches the
     * core up with the clock); the Readies it carried out are in the next {@link #process()}.
     */
    /** Moves this node's clock on to {@code nanos} (on its clock, which starts at 0) and runs it until it is quiet. */
    public void advanceTo(long nanos) {
        runtime.advance(nanos - runtime.nanoTime());
        runtime.pump(true);
    }

    public void tick() {
        runtime.advance(tickNanos);
        runtime.pump(true);
    }

    /** Runs the node until it is quiet and returns what it sent meanwhile (and empties the outbox). */
    public List<RaftMessage> drainMessages() {
        process();
        return takeSent().stream().map(Sent::message).toList();
    }

    /** What the node sent since the last call. */
    public List<Sent> takeSent() {
        List<Sent> out = List.copyOf(outbox);
        outbox.clear();
        return out;
    }

    /** The applied commands, in order (the FSM). */
    public List<String> applied() {
        return fsm.applied();
    }

    /** The index the FSM has applied. */
    public long appliedIndex() {
        return raft.appliedIndex();
    }

    /**
     * The notices the core raised (a follower behind its matchIndex, a voter staged …) that the
     * driver logged, as warnings, for this server since the last call.
     */
    public List<String> takeNotices() {
        List<String> out = new ArrayList<>();
        synchronized (NOTICES) {
            for (Iterator<ILoggingEvent> it = NOTICES.iterator(); it.hasNext(); ) {
                ILoggingEvent e = it.next();
                Object[] args = e.getArgumentArray();
                if (args.length == 2 && id.equals(args[1])) {
                    out.add(e.getLevel() + " " + args[0]);
                    it.remove();
                }
            }
        }
        return out;
    }

    /** Takes a snapshot of the FSM through the node's snapshotter and returns it once stored and given to the core. */
    public SnapshotMeta takeSnapshot() {
        CompletableFuture<SnapshotHandle> taken = raft.snapshot();
        runtime.pump(false);
        return taken.join().meta();
    }

    /** Hands {@code message} to the node, as its transport does (it is handled at the next {@link #process()}). */
    public void deliver(RaftMessage message) {
        handler.onMessage(message);
    }

    /** Hands a snapshot to the node, as its transport does once the data arrived. */
    public void deliverSnapshot(InstallSnapshot header, byte[] data) throws IOException {
        handler.onSnapshot(header, new ByteArrayInputStream(data));
    }

    /** Writes FSM state (a list of commands) to a snapshot, in the form {@link ListFsm} restores. */
    public static void writeFsm(SnapshotSink sink, List<String> commands) throws IOException {
        DataOutputStream out = new DataOutputStream(sink.out());
        out.writeInt(commands.size());
        for (String c : commands) {
            out.writeUTF(c);
        }
        out.flush();
    }

    /**
     * Raft's persistence rule, checked on what the driver sends: a message in a term (other than
     * a pre-vote's) goes out only once that term is durable, a granted vote only once the vote
     * is, and a follower acknowledges only entries that are durable (in its log or a snapshot).
     * A leader's own entries are exempt: it writes them in parallel with sending them.
     */
    private void checkDurableBeforeSent(RaftMessage m) {
        boolean preVote = m instanceof RequestVote v && v.preVote() || m instanceof RequestVoteResponse r && r.preVote();
        if (preVote) {
            return;
        }
        try {
            HardState durable = storage.loadHardState();
            if (durable.term() < m.term()) {
                throw new IllegalStateException(id + " sent " + m + " before its term " + m.term() + " was durable (stable "
                        + durable + ")");
            }
            if (m instanceof RequestVoteResponse r && r.granted() && durable.term() == r.term()
                    && !r.to().equals(durable.votedFor())) {
                throw new IllegalStateException(id + " granted its vote to " + r.to() + " before the vote was durable (stable "
                        + durable + ")");
            }
            if (m instanceof AppendEntriesResponse r && r.success()) {
                long snapshot = storage.latestSnapshot().map(SnapshotMeta::index).orElse(0L);
                long durableLast = Math.max(logs.lastIndex(), snapshot);
                if (durableLast < r.lastLogIndex()) {
                    throw new IllegalStateException(id + " acknowledged index " + r.lastLogIndex() + " with only "
                            + durableLast + " durable");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The node's transport: everything it sends waits in the outbox. */
    private final class OutboxTransport implements Transport {

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
            checkDurableBeforeSent(message);
            outbox.add(new Sent(message, null, null));
        }

        @Override
        public CompletableFuture<Void> sendSnapshot(String targetAddress, InstallSnapshot header, OpenSnapshot snapshot) {
            CompletableFuture<Void> transfer = new CompletableFuture<>();
            try (snapshot) {
                outbox.add(new Sent(header, snapshot.data().readAllBytes(), transfer));
            } catch (IOException e) {
                transfer.completeExceptionally(e);
            }
            return transfer;
        }

        @Override
        public void close() {
        }
    }
}
