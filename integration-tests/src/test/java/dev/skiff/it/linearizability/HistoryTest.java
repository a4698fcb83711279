package dev.skiff.it.linearizability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HistoryTest {

    @Test
    void when_clientsRecordConcurrentlyAgainstALinearizableStore_then_theHistoryIsCompleteAndLinearizable()
            throws Exception {
        History history = new History();
        LockedKv store = new LockedKv();
        int clients = 8;
        int perClient = 300;

        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                running.add(pool.submit(() -> runClient(history, store, client, perClient)));
            }
            for (Future<?> f : running) {
                f.get();
            }
        }
        List<Operation> operations = history.operations();
        Verdict verdict = new LinearizabilityChecker().check(operations);

        assertThat(operations).hasSize(clients * perClient);
        assertThat(operations).extracting(Operation::id).doesNotHaveDuplicates();
        assertThat(operations).allMatch(op -> op.outcome() instanceof Outcome.Ok);
        assertThat(verdict).as(verdict.summary()).isInstanceOf(Verdict.Linearizable.class);
        System.out.println("recorded history: " + operations.size() + " operations from " + clients
                + " threads, " + verdict.summary());
    }

    @Test
    void when_operationIsStillPending_then_itAppearsWithAnUnknownOutcome() {
        AtomicLong clock = new AtomicLong(100);
        History history = new History(clock::get);
        History.Pending put = history.invoke(1, new KvOp.Put("k", "v"));
        clock.set(150);
        history.invoke(2, new KvOp.Get("k")).ok(new KvResult.NotFound());

        List<Operation> operations = history.operations();

        assertThat(operations).hasSize(2);
        Operation pending = operations.getFirst();
        assertThat(pending.id()).isEqualTo(put.id());
        assertThat(pending.invokedAt()).isEqualTo(100);
        assertThat(pending.outcome()).isEqualTo(new Outcome.Unknown("no answer recorded"));
        assertThat(operations.get(1).invokedAt()).isEqualTo(150);
    }

    @Test
    void when_completedTwice_then_rejectedNamingTheOperation() {
        History history = new History();
        History.Pending put = history.invoke(1, new KvOp.Put("k", "v"));
        put.ok(new KvResult.Written(3));

        assertThatThrownBy(() -> put.unknown("timeout"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("operation #0 put(\"k\", \"v\") was already completed");
    }

    @Test
    void when_resultDoesNotFitTheRequest_then_theCallStaysPending() {
        History history = new History();
        History.Pending get = history.invoke(1, new KvOp.Get("k"));

        assertThatThrownBy(() -> get.ok(new KvResult.Written(3))).isInstanceOf(IllegalArgumentException.class);
        get.ok(new KvResult.Found("v", 3));

        assertThat(history.operations()).singleElement()
                .extracting(Operation::outcome).isEqualTo(new Outcome.Ok(new KvResult.Found("v", 3)));
    }

    private static void runClient(History history, LockedKv store, int client, int operations) {
        SplittableRandom random = new SplittableRandom(client);
        for (int k = 0; k < operations; k++) {
            String key = "k" + random.nextInt(2);
            String value = "c" + client + "-" + k;
            switch (random.nextInt(4)) {
                case 0 -> {
                    History.Pending call = history.invoke(client, new KvOp.Put(key, value));
                    call.ok(store.put(key, value));
                }
                case 1 -> {
                    History.Pending call = history.invoke(client, new KvOp.Get(key));
                    call.ok(store.get(key));
                }
                case 2 -> {
                    long expected = store.modifyIndex(key);
                    History.Pending call = history.invoke(client, new KvOp.Cas(key, expected, value));
                    call.ok(store.cas(key, expected, value));
                }
                default -> {
                    History.Pending call = history.invoke(client, new KvOp.Delete(key));
                    call.ok(store.delete(key));
                }
            }
        }
    }

    /** A trivially linearizable store: every operation under one lock, one index for all keys. */
    private static final class LockedKv {
        private record Entry(String value, long modifyIndex) {
        }

        private final Map<String, Entry> data = new HashMap<>();
        private long index;

        synchronized KvResult put(String key, String value) {
            data.put(key, new Entry(value, ++index));
            return new KvResult.Written(index);
        }

        synchronized KvResult get(String key) {
            Entry e = data.get(key);
            return e == null ? new KvResult.NotFound() : new KvResult.Found(e.value(), e.modifyIndex());
        }

        synchronized long modifyIndex(String key) {
            Entry e = data.get(key);
            return e == null ? 0 : e.modifyIndex();
        }

        synchronized KvResult cas(String key, long expected, String value) {
            long current = modifyIndex(key);
            return current == expected ? put(key, value) : new KvResult.Mismatch(current);
        }

        synchronized KvResult delete(String key) {
            boolean present = data.remove(key) != null;
            return new KvResult.Deletion(++index, present);
        }
    }
}
