package dev.skiff.api;

import static org.assertj.core.api.Assertions.assertThatCode;

import dev.skiff.kv.KvStateMachine;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * The state machine's side of blocking reads: publishing a state never fails the state machine,
 * also once the API (and the executor its scans run on) has closed while Raft still applies.
 */
class BlockingWaitersTest {

    @Test
    void aStatePublishedAfterTheApiClosed_isIgnored() {
        ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
        BlockingWaiters waiters = new BlockingWaiters(workers);
        workers.shutdownNow();
        assertThatCode(() -> waiters.changed(new KvStateMachine().state())).doesNotThrowAnyException();
    }
}
