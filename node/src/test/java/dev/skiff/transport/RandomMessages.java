package dev.skiff.transport;

import dev.skiff.raft.Configuration;
import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import dev.skiff.raft.Server;
import dev.skiff.raft.SnapshotMeta;
import dev.skiff.raft.Suffrage;
import dev.skiff.raft.message.AppendEntries;
import dev.skiff.raft.message.AppendEntriesResponse;
import dev.skiff.raft.message.ForwardedProposals;
import dev.skiff.raft.message.ForwardedProposalsResponse;
import dev.skiff.raft.message.InstallSnapshot;
import dev.skiff.raft.message.InstallSnapshotResponse;
import dev.skiff.raft.message.RaftMessage;
import dev.skiff.raft.message.ReadIndexRequest;
import dev.skiff.raft.message.ReadIndexResponse;
import dev.skiff.raft.message.RequestVote;
import dev.skiff.raft.message.RequestVoteResponse;
import dev.skiff.raft.message.TimeoutNow;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/** Seeded random Raft messages of every kind, with edge values mixed in, for codec tests. */
final class RandomMessages {

    /** Eleven kinds, one per permitted RaftMessage record. */
    static final int KINDS = 11;

    private final RandomGenerator random;

    RandomMessages(RandomGenerator random) {
        this.random = random;
    }

    RaftMessage next() {
        return of(random.nextInt(KINDS));
    }

    RaftMessage of(int kind) {
        long term = anyLong();
        String from = id();
        String fromAddress = address();
        String to = id();
        return switch (kind) {
            case 0 -> new AppendEntries(term, from, fromAddress, to, anyLong(), anyLong(), entries(),
                    anyLong(), anyLong());
            case 1 -> new AppendEntriesResponse(term, from, fromAddress, to, random.nextBoolean(), anyLong(),
                    anyLong(), anyLong(), anyLong(), anyString());
            case 2 -> new RequestVote(term, from, fromAddress, to, anyLong(), anyLong(), random.nextBoolean(),
                    random.nextBoolean());
            case 3 -> new RequestVoteResponse(term, from, fromAddress, to, random.nextBoolean(), random.nextBoolean(), anyString());
            case 4 -> new InstallSnapshot(term, from, fromAddress, to, meta(), random.nextBoolean());
            case 5 -> new InstallSnapshotResponse(term, from, fromAddress, to, random.nextBoolean(), anyLong(), anyString());
            case 6 -> new TimeoutNow(term, from, fromAddress, to);
            case 7 -> new ForwardedProposals(term, from, fromAddress, to, anyLong(), anyLong(), random.nextBoolean(), commands());
            case 8 -> new ForwardedProposalsResponse(term, from, fromAddress, to, anyLong(), anyLong(), anyLong(), anyString());
            case 9 -> new ReadIndexRequest(term, from, fromAddress, to, anyLong(), anyLong(), random.nextBoolean(), anyString());
            case 10 -> new ReadIndexResponse(term, from, fromAddress, to, anyLong(), anyLong(), anyLong());
            default -> throw new IllegalArgumentException("kind " + kind);
        };
    }

    private List<byte[]> commands() {
        int count = random.nextInt(4) == 0 ? 0 : random.nextInt(1, 40);
        List<byte[]> commands = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] data = new byte[random.nextInt(8) == 0 ? 0 : random.nextInt(1, 2000)];
            random.nextBytes(data);
            commands.add(data);
        }
        return commands;
    }

    private List<LogEntry> entries() {
        int count = random.nextInt(4) == 0 ? 0 : random.nextInt(1, 40);
        List<LogEntry> entries = new ArrayList<>(count);
        long index = random.nextLong(1, Long.MAX_VALUE - 100);
        LogType[] types = LogType.values();
        for (int i = 0; i < count; i++) {
            byte[] data = new byte[random.nextInt(8) == 0 ? 0 : random.nextInt(1, 2000)];
            random.nextBytes(data);
            entries.add(new LogEntry(index + i, random.nextLong(1, Long.MAX_VALUE),
                    types[random.nextInt(types.length)], data));
        }
        return entries;
    }

    private SnapshotMeta meta() {
        List<Server> servers = new ArrayList<>();
        int n = random.nextInt(0, 6);
        for (int i = 0; i < n; i++) {
            servers.add(new Server("n" + i + id(), "10.0.0." + i + ":" + random.nextInt(1, 65536),
                    Suffrage.values()[random.nextInt(Suffrage.values().length)],
                    random.nextBoolean() ? "" : "10.0.1." + i + ":8001", anyString()));
        }
        return new SnapshotMeta(id(), random.nextLong(0, Long.MAX_VALUE), random.nextLong(0, Long.MAX_VALUE),
                new Configuration(servers), random.nextLong(0, Long.MAX_VALUE),
                random.nextBoolean() ? -1 : random.nextLong(0, Long.MAX_VALUE),
                random.nextBoolean() ? "" : "crc32c:" + Long.toHexString(random.nextLong()));
    }

    /** A log incarnation: empty (unknown), a UUID, or odd text. */
    private String anyString() {
        return switch (random.nextInt(3)) {
            case 0 -> "";
            case 1 -> new java.util.UUID(random.nextLong(), random.nextLong()).toString();
            default -> id();
        };
    }

    private long anyLong() {
        return switch (random.nextInt(6)) {
            case 0 -> 0;
            case 1 -> Long.MAX_VALUE;
            case 2 -> Long.MIN_VALUE;
            case 3 -> -1;
            default -> random.nextLong();
        };
    }

    private String id() {
        return switch (random.nextInt(5)) {
            case 0 -> "";
            case 1 -> "nœud-é-\uD83D\uDE80"; // non-ASCII, including a surrogate pair
            default -> "n" + random.nextInt(1000);
        };
    }

    private String address() {
        return random.nextInt(5) == 0 ? "[::1]:9001" : "127.0.0." + random.nextInt(256) + ":" + random.nextInt(65536);
    }
}
