package dev.skiff.raft;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A test FSM that records every command as a string; the response is the command's position. */
final class ListFsm implements BatchingFsm {

    private volatile List<String> applied = List.of();

    List<String> applied() {
        return applied;
    }

    @Override
    public Object apply(LogEntry entry) {
        return applyBatch(List.of(entry)).get(0);
    }

    @Override
    public List<Object> applyBatch(List<LogEntry> entries) {
        List<String> next = new ArrayList<>(applied);
        List<Object> responses = new ArrayList<>();
        for (LogEntry e : entries) {
            next.add(new String(e.data(), StandardCharsets.UTF_8));
            responses.add(next.size());
        }
        applied = List.copyOf(next);
        return responses;
    }

    @Override
    public FsmSnapshot snapshot() {
        List<String> view = applied;
        return out -> {
            DataOutputStream data = new DataOutputStream(out);
            data.writeInt(view.size());
            for (String s : view) {
                data.writeUTF(s);
            }
            data.flush();
        };
    }

    @Override
    public void restore(InputStream snapshot) throws IOException {
        DataInputStream data = new DataInputStream(snapshot);
        int n = data.readInt();
        List<String> restored = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            restored.add(data.readUTF());
        }
        applied = List.copyOf(restored);
    }

    @Override
    public void applyRestore(LogEntry entry) throws IOException {
        restore(new java.io.ByteArrayInputStream(entry.data()));
    }

}
