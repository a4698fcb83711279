package dev.skiff.raft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.raft.core.Ready;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The leader's log writer: group commit, order, and what happens after a failed write. */
class LogWriterTest {

    /** A log whose writes can be held (to let jobs queue up) or made to fail. */
    static final class ControlledLogStore implements LogStore {
        final InMemoryLogStore delegate = new InMemoryLogStore();
        final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
        volatile CountDownLatch hold = new CountDownLatch(0);
        volatile boolean failing;

        @Override
        public String incarnation() {
            return delegate.incarnation();
        }

        @Override
        public void markFounded() {
            delegate.markFounded();
        }

        @Override
        public void storeLogs(List<LogEntry> entries) throws IOException {
            try {
                hold.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            if (failing) {
                throw new IOException("No space left on device");
            }
            batchSizes.add(entries.size());
            delegate.storeLogs(entries);
        }

        @Override public long firstIndex() { return delegate.firstIndex(); }
        @Override public long lastIndex() { return delegate.lastIndex(); }
        @Override public Optional<LogEntry> getLog(long index) { return delegate.getLog(index); }
        @Override public List<LogEntry> getLogs(long from, long to, long maxBytes) { return delegate.getLogs(from, to, maxBytes); }
        @Override public void truncateSuffix(long lastIndexKept) { delegate.truncateSuffix(lastIndexKept); }
        @Override public void truncatePrefix(long firstIndexKept) { delegate.truncatePrefix(firstIndexKept); }
        @Override public void reset(long nextIndex) { delegate.reset(nextIndex); }
        @Override public void close() { }
    }

    private static Ready entries(long first, long last) {
        List<LogEntry> entries = new ArrayList<>();
        for (long i = first; i <= last; i++) {
            entries.add(new LogEntry(i, 1, LogType.COMMAND, new byte[] {(byte) i}));
        }
        return new Ready(null, 0, entries, List.of(), null, List.of(), 0, List.of(), null, false, false);
    }

    private static List<LogWriter.Completed> drain(LogWriter writer) {
        List<LogWriter.Completed> out = new ArrayList<>();
        LogWriter.Completed c;
        while ((c = writer.takeCompleted()) != null) {
            out.add(c);
        }
        return out;
    }

    @Test
    void readiesQueuedDuringAWriteGoIntoOneWriteAndComeBackInOrder() throws Exception {
        ControlledLogStore logs = new ControlledLogStore();
        LogWriter writer = new LogWriterThread(new RaftStorage(logs, new InMemoryStableStore(), new InMemorySnapshotStore()),
                "test-writer", () -> { });
        try {
            logs.hold = new CountDownLatch(1);
            Ready first = entries(1, 2);
            writer.submit(first);
            // While the first write is held, three more queue up behind it.
            Ready second = entries(3, 3);
            Ready third = entries(4, 6);
            Ready fourth = entries(7, 7);
            writer.submit(second);
            writer.submit(third);
            writer.submit(fourth);
            logs.hold.countDown();
            writer.awaitIdle();

            assertThat(drain(writer)).extracting(LogWriter.Completed::ready).containsExactly(first, second, third, fourth);
            assertThat(logs.lastIndex()).isEqualTo(7);
            assertThat(logs.batchSizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(7);
            assertThat(logs.batchSizes).as("the first write alone, or with the rest; never one write per Ready")
                    .hasSizeLessThanOrEqualTo(2);
        } finally {
            writer.close();
        }
    }

    @Test
    void afterAFailedWriteLaterOnesAreSkippedUntilResumed() throws Exception {
        ControlledLogStore logs = new ControlledLogStore();
        LogWriter writer = new LogWriterThread(new RaftStorage(logs, new InMemoryStableStore(), new InMemorySnapshotStore()),
                "test-writer", () -> { });
        try {
            logs.failing = true;
            logs.hold = new CountDownLatch(1);
            writer.submit(entries(1, 1));
            writer.submit(entries(3, 3)); // not a continuation: a separate job, skipped after the failure
            logs.hold.countDown();
            writer.awaitIdle();

            List<LogWriter.Completed> done = drain(writer);
            assertThat(done).hasSize(2);
            assertThat(done.get(0).failure()).hasMessageContaining("No space left");
            assertThat(done.get(0).skipped()).isFalse();
            assertThat(done.get(1).skipped()).isTrue();
            assertThat(logs.lastIndex()).isZero();

            logs.failing = false;
            writer.resume();
            writer.submit(entries(1, 1));
            writer.awaitIdle();
            assertThat(drain(writer)).singleElement().satisfies(c -> assertThat(c.failure()).isNull());
            assertThat(logs.lastIndex()).isEqualTo(1);
        } finally {
            writer.close();
        }
    }
}
