package dev.skiff.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class StorageHealthTest {

    @Test
    void recordsFailuresAndRecoveriesAndAsksProbesEachTime() {
        StorageHealth health = new StorageHealth();
        assertThat(health.current()).isEmpty();
        assertThat(health.problem(StorageHealth.LOG)).isEmpty();

        health.record(StorageHealth.SNAPSHOTS, Optional.of("S3 unreachable"));
        AtomicBoolean tableUp = new AtomicBoolean(false);
        health.watch(StorageHealth.DISCOVERY, () -> tableUp.get() ? Optional.empty() : Optional.of("table unreachable"));
        assertThat(health.problem(StorageHealth.SNAPSHOTS)).contains("S3 unreachable");
        assertThat(health.current()).containsKeys(StorageHealth.SNAPSHOTS, StorageHealth.DISCOVERY);

        health.record(StorageHealth.SNAPSHOTS, Optional.empty());
        tableUp.set(true);
        assertThat(health.problem(StorageHealth.SNAPSHOTS)).isEmpty();
        assertThat(health.problem(StorageHealth.DISCOVERY)).isEmpty();
    }

    @Test
    void aProbedProblemWinsButAnAnsweringStoreDoesNotHideTheLastFailedSnapshot() {
        StorageHealth health = new StorageHealth();
        AtomicBoolean reachable = new AtomicBoolean(false);
        health.watch(StorageHealth.SNAPSHOTS, () -> reachable.get() ? Optional.empty() : Optional.of("bucket unreachable"));
        health.record(StorageHealth.SNAPSHOTS, Optional.of("upload failed"));
        assertThat(health.problem(StorageHealth.SNAPSHOTS)).contains("bucket unreachable");

        reachable.set(true);
        assertThat(health.problem(StorageHealth.SNAPSHOTS)).contains("upload failed");
        health.record(StorageHealth.SNAPSHOTS, Optional.empty());
        assertThat(health.problem(StorageHealth.SNAPSHOTS)).isEmpty();
    }

    @Test
    void theProberKeepsTheLatestAnswerOfItsCheck() throws Exception {
        StorageHealth health = new StorageHealth();
        AtomicBoolean reachable = new AtomicBoolean(false);
        try (StorageProber prober = StorageProber.start(StorageHealth.SNAPSHOTS,
                () -> reachable.get() ? Optional.empty() : Optional.of("s3://b unreachable"), Duration.ofMillis(10), health)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> health.problem(StorageHealth.SNAPSHOTS).isPresent());
            assertThat(health.problem(StorageHealth.SNAPSHOTS)).contains("s3://b unreachable");
            reachable.set(true);
            await().atMost(Duration.ofSeconds(5)).until(() -> health.problem(StorageHealth.SNAPSHOTS).isEmpty());
        }
    }
}
