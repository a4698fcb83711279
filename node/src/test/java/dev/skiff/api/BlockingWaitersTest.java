package dev.skiff.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.skiff.kv.KvState;
import dev.skiff.kv.KvStateMachine;
import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.Xnio;
import org.xnio.XnioExecutor;
import org.xnio.XnioWorker;

/**
 * The state machine's side of blocking reads: a published state wakes the parked readers it
 * moves, starts no scan while none is parked, and never fails the state machine, also once the
 * API (and the executor its scans run on) has closed while Raft still applies.
 */
class BlockingWaitersTest {

    private static final long WAIT_MILLIS = 60_000;

    private XnioWorker worker;
    private XnioExecutor timer;
    private final AtomicInteger scans = new AtomicInteger();
    private final AtomicReference<KvState> published = new AtomicReference<>(new KvStateMachine().state());

    @BeforeEach
    void startIoThread() throws IOException {
        worker = Xnio.getInstance().createWorker(OptionMap.create(Options.WORKER_IO_THREADS, 1));
        timer = worker.getIoThread();
    }

    @AfterEach
    void stopIoThread() {
        worker.shutdownNow();
    }

    /** Waiters whose scans run at once on the publishing thread, counted. */
    private BlockingWaiters countingWaiters() {
        return new BlockingWaiters(scan -> {
            scans.incrementAndGet();
            scan.run();
        });
    }

    /** Publishes a new state, as the state machine does: the state first, then the listener. */
    private KvState publish(BlockingWaiters waiters) {
        KvState next = new KvStateMachine().state();
        published.set(next);
        waiters.changed(next);
        return next;
    }

    private static Predicate<KvState> movedFrom(KvState seen) {
        return s -> s != seen;
    }

    @Test
    void whenNoReadIsParked_aChangeStartsNoScan() {
        BlockingWaiters waiters = countingWaiters();

        publish(waiters);
        publish(waiters);

        assertThat(scans).hasValue(0);
    }

    @Test
    void aParkedRead_isWokenByTheChange_andLaterChangesStartNoScan() {
        BlockingWaiters waiters = countingWaiters();
        AtomicInteger resumed = new AtomicInteger();
        assertThat(waiters.park(timer, published::get, movedFrom(published.get()), WAIT_MILLIS, resumed::incrementAndGet))
                .isTrue();

        publish(waiters);
        publish(waiters);

        assertThat(resumed).hasValue(1);
        assertThat(scans).hasValue(1);
        assertThat(waiters.parked()).isZero();
    }

    @Test
    void aReadWhoseStateMovedAlready_parksNothing_andLeavesNothingToScan() {
        BlockingWaiters waiters = countingWaiters();
        KvState seen = published.get();
        publish(waiters);

        assertThat(waiters.park(timer, published::get, movedFrom(seen), WAIT_MILLIS, () -> { })).isFalse();
        publish(waiters);

        assertThat(scans).hasValue(0);
        assertThat(waiters.parked()).isZero();
    }

    @Test
    void aChangePublishedWhileAReadParks_answersItOnce_andLaterReadsAreStillWoken() {
        BlockingWaiters waiters = countingWaiters();
        KvState seen = published.get();
        AtomicInteger resumed = new AtomicInteger();
        // The change lands between the reader's registration and its look at the state: the scan
        // fires the reader, and the reader, seeing the change too, must not answer a second time.
        boolean parked = waiters.park(timer, () -> publish(waiters), movedFrom(seen), WAIT_MILLIS, resumed::incrementAndGet);

        assertThat(parked).as("answered by the scan's resume, so parked").isTrue();
        assertThat(resumed).hasValue(1);
        assertThat(waiters.parked()).isZero();

        AtomicInteger later = new AtomicInteger();
        assertThat(waiters.park(timer, published::get, movedFrom(published.get()), WAIT_MILLIS, later::incrementAndGet))
                .isTrue();
        publish(waiters);
        assertThat(later).as("a read parked afterwards is woken by the next change").hasValue(1);
    }

    @Test
    void aStatePublishedAfterTheApiClosed_isIgnored() {
        ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
        BlockingWaiters waiters = new BlockingWaiters(workers);
        assertThat(waiters.park(timer, published::get, movedFrom(published.get()), WAIT_MILLIS, () -> { })).isTrue();
        workers.shutdownNow();

        assertThatCode(() -> publish(waiters)).doesNotThrowAnyException();
    }
}
