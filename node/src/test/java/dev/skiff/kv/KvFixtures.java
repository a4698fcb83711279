package dev.skiff.kv;

import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;

/** Shared helpers for the KV tests. */
final class KvFixtures {

    private KvFixtures() {
    }

    static LogEntry entry(long index, KvCommand command) {
        return new LogEntry(index, 1, LogType.COMMAND, KvCommandCodec.encode(command));
    }

    static LogEntry put(long index, String key, String value) {
        return entry(index, KvCommand.Put.of(key, bytes(value)));
    }

    static LogEntry putCas(long index, String key, String value, long cas) {
        return entry(index, new KvCommand.Put(key, bytes(value), OptionalLong.of(cas)));
    }

    static LogEntry delete(long index, String key) {
        return entry(index, KvCommand.Delete.of(key));
    }

    static LogEntry deleteCas(long index, String key, long cas) {
        return entry(index, new KvCommand.Delete(key, OptionalLong.of(cas)));
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Every entry of a state, in key order. */
    static List<KvEntry> contents(KvState state) {
        List<KvEntry> all = new ArrayList<>();
        for (Iterator<KvEntry> it = state.iterator(); it.hasNext(); ) {
            all.add(it.next());
        }
        return all;
    }

    /**
     * Random commands on a small key space, so that CAS passes and fails, and deletes hit both
     * present and absent keys. CAS indexes are drawn near {@code firstIndex..} so some match.
     */
    static List<LogEntry> randomCommands(Random random, long firstIndex, int count, int keySpace) {
        List<LogEntry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long index = firstIndex + i;
            String key = "k/" + random.nextInt(keySpace);
            OptionalLong cas = random.nextInt(4) == 0
                    ? OptionalLong.of(random.nextBoolean() ? 0 : Math.max(0, index - 1 - random.nextInt(keySpace * 2)))
                    : OptionalLong.empty();
            KvCommand command = random.nextInt(3) == 0
                    ? new KvCommand.Delete(key, cas)
                    : new KvCommand.Put(key, bytes("v" + index), cas);
            entries.add(entry(index, command));
        }
        return entries;
    }
}
