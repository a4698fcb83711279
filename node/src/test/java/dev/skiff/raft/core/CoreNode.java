package dev.skiff.raft.core;

import dev.skiff.raft.Configuration;
import dev.skiff.raft.ConfigurationCodec;
import dev.skiff.raft.InMemoryLogStore;
import dev.skiff.raft.InMemorySnapshotStore;
import dev.skiff.raft.InMemoryStableStore;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import dev.skiff.raft.OpenSnapshot;
import dev.skiff.raft.RaftConfig;
import dev.skiff.raft.RaftStorage;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.SnapshotSink;
import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.RaftMessage;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One server for the core tests: a {@link RaftCore} over in-memory stores that survive a
 * crash, driven in the order {@link Ready} documents (persist through {@link RaftStorage}, then
 * hand out the messages, then restore and apply, then compact, then advance), like the
 * simulation's {@code SimNode}. The FSM is a list of the applied commands as strings.
 *
 * <p>Single-threaded; no clock: time passes only through {@link RaftCore#tick()}.
 */
final class CoreNode {

    final String id;
    final String address;
    final InMemoryLogStore logs;
    final InMemoryStableStore stable = new InMemoryStableStore();
    final InMemorySnapshotStore snapshots = new InMemorySnapshotStore(2);
    final RaftStorage storage;

    RaftCore core;
    boolean up;
    /** The FSM: every applied command, in order. */
    final List<String> applied = new ArrayList<>();
    long appliedIndex;
    long appliedTerm;
    Configuration appliedConfiguration = Configuration.EMPTY;
    long appliedConfigurationIndex;

    /** A server whose log has no incarnation, as one written before incarnations: the scripts' traces stay as they were. */
    CoreNode(String id) {
        this(id, "");
    }

    CoreNode(String id, String incarnation) {
        this.id = id;
        this.address = id + ":7000";
        this.logs = new InMemoryLogStore(incarnation);
        this.storage = new RaftStorage(logs, stable, snapshots);
    }

    /** Starts (or restarts) from what the stores hold, as a real server does after a crash. */
    void start(RaftConfig config, long seed) {
        try {
            applied.clear();
            appliedIndex = 0;
            appliedTerm = 0;
            appliedConfiguration = Configuration.EMPTY;
            appliedConfigurationIndex = 0;
            SnapshotMeta snapshot = storage.latestSnapshot().orElse(null);
            if (snapshot != null) {
                restoreFsm(snapshot);
            }
            storage.reconcileLog(snapshot);
            core = new RaftCore(config.withLocalId(id), address, logs, storage.loadHardState(), snapshot,
                    new SplittableRandom(seed));
            up = true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Loses everything not in the stores. */
    void crash() {
        up = false;
        core = null;
        applied.clear();
    }

    /** Carries out Readies until the core is quiet; returns them, in order. */
    List<Ready> process() {
        List<Ready> done = new ArrayList<>();
        int rounds = 0;
        while (up && core.hasReady()) {
            if (++rounds > 1000) {
                throw new IllegalStateException(id + ": the Ready loop does not settle");
            }
            Ready ready = core.ready();
            try {
                storage.persist(ready);
                if (ready.restore() != null) {
                    restoreFsm(ready.restore());
                }
                for (LogEntry e : ready.committed()) {
                    apply(e);
                }
                storage.compact(ready);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            core.advance(ready);
            done.add(ready);
        }
        return done;
    }

    /** Carries out every pending Ready and returns just their messages. */
    List<RaftMessage> drainMessages() {
        List<RaftMessage> out = new ArrayList<>();
        for (Ready r : process()) {
            r.messages().forEach(o -> out.add(o.message()));
        }
        return out;
    }

    private void apply(LogEntry e) {
        if (e.index() != appliedIndex + 1) {
            throw new IllegalStateException(id + " applied " + e.index() + " after " + appliedIndex);
        }
        if (e.type() == LogType.COMMAND) {
            applied.add(new String(e.data(), StandardCharsets.UTF_8));
        } else if (e.type() == LogType.CONFIGURATION) {
            appliedConfiguration = ConfigurationCodec.decode(e.data());
            appliedConfigurationIndex = e.index();
        }
        appliedIndex = e.index();
        appliedTerm = e.term();
    }

    /** Stores a snapshot of the FSM at the applied index and tells the core. */
    SnapshotMeta takeSnapshot() {
        try {
            SnapshotSink sink = snapshots.create(appliedIndex, appliedTerm, appliedConfiguration,
                    appliedConfigurationIndex);
            writeFsm(sink, applied);
            SnapshotMeta meta = sink.commit();
            core.snapshotSaved(meta);
            return meta;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes FSM state (a list of commands) to a snapshot, in the form {@code start} restores. */
    static void writeFsm(SnapshotSink sink, List<String> commands) throws IOException {
        DataOutputStream out = new DataOutputStream(sink.out());
        out.writeInt(commands.size());
        for (String c : commands) {
            out.writeUTF(c);
        }
        out.flush();
    }

    /**
     * Receives the snapshot {@code header} names from {@code sender}'s store (the transport's
     * job in a real server), stores it, and hands it to the core.
     *
     * @throws IOException if the sender no longer has that snapshot
     */
    void receiveSnapshot(CoreNode sender, InstallSnapshot header) throws IOException {
        byte[] data;
        try (OpenSnapshot open = sender.snapshots.open(header.meta().id())) {
            data = open.data().readAllBytes();
        }
        SnapshotMeta meta = header.meta();
        SnapshotSink sink = snapshots.create(meta.index(), meta.term(), meta.configuration(), meta.configurationIndex());
        sink.out().write(data);
        core.snapshotReceived(header, sink.commit());
    }

    private void restoreFsm(SnapshotMeta meta) throws IOException {
        try (OpenSnapshot open = snapshots.open(meta.id())) {
            DataInputStream in = new DataInputStream(open.data());
            applied.clear();
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                applied.add(in.readUTF());
            }
        }
        appliedIndex = meta.index();
        appliedTerm = meta.term();
        appliedConfiguration = meta.configuration();
        appliedConfigurationIndex = meta.configurationIndex();
    }
}
