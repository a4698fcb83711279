package dev.skiff.bench;

import dev.skiff.raft.LogEntry;
import dev.skiff.raft.LogType;
import dev.skiff.raft.message.AppendEntries;
import dev.skiff.raft.message.AppendEntriesResponse;
import dev.skiff.raft.message.RaftMessage;
import dev.skiff.transport.MessageCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The Raft wire codec ({@link MessageCodec}) on the messages that dominate a write load: an
 * {@code AppendEntries} carrying {@code entries} commands of {@code payloadBytes} each (0 entries
 * is a heartbeat), and the {@code AppendEntriesResponse} that answers it. Scores are messages per
 * second; multiply {@code appendEntries*} by {@code entries} for entries per second.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgs = {"-Xmx512m"})
@State(Scope.Thread)
public class MessageCodecBenchmark {

    @Param({"0", "1", "64"})
    public int entries;

    @Param({"100"})
    public int payloadBytes;

    private AppendEntries append;
    private byte[] appendBytes;
    private AppendEntriesResponse response;
    private byte[] responseBytes;

    @Setup
    public void setUp() {
        List<LogEntry> list = new ArrayList<>(entries);
        for (int i = 0; i < entries; i++) {
            byte[] data = new byte[payloadBytes];
            data[0] = (byte) i;
            list.add(new LogEntry(1_000_000L + i, 7, LogType.COMMAND, data));
        }
        append = new AppendEntries(7, "n1", "127.0.0.1:9001", "n2", 999_999L, 7, list, 999_990L, 42);
        appendBytes = MessageCodec.encode(append);
        response = new AppendEntriesResponse(7, "n2", "127.0.0.1:9002", "n1", true, 1_000_000L + entries, 0, 0, 42, "9b2f0c1e-5a7d-4e61-8f0a-3c4d2e1b6a70");
        responseBytes = MessageCodec.encode(response);
    }

    @Benchmark
    public byte[] appendEntriesEncode() {
        return MessageCodec.encode(append);
    }

    @Benchmark
    public RaftMessage appendEntriesDecode() {
        return MessageCodec.decode(appendBytes);
    }

    @Benchmark
    public byte[] responseEncode() {
        return MessageCodec.encode(response);
    }

    @Benchmark
    public RaftMessage responseDecode() {
        return MessageCodec.decode(responseBytes);
    }
}
