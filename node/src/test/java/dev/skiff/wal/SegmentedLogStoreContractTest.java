package dev.skiff.wal;

import dev.skiff.raft.LogStore;
import dev.skiff.raft.contract.LogStoreContract;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The LogStore contract on small segments and a small cache, so that rolling and disk reads are exercised. */
class SegmentedLogStoreContractTest extends LogStoreContract {

    static final SegmentedLogStore.Options SMALL = SegmentedLogStore.Options.DEFAULTS
            .withMaxSegmentBytes(8 << 10).withCache(64, 16 << 10);

    @TempDir
    Path dir;

    @Override
    protected LogStore newStore() throws IOException {
        return SegmentedLogStore.open(dir, SMALL);
    }

    @Override
    protected LogStore reopen(LogStore store) throws IOException {
        store.close();
        return SegmentedLogStore.open(dir, SMALL);
    }
}
