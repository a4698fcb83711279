package dev.skiff.storage;

import static org.assertj.core.api.Assertions.assertThat;

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
}
