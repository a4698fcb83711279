package dev.skiff.wal;

import dev.skiff.raft.SnapshotStore;
import dev.skiff.raft.contract.SnapshotStoreContract;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class FileSnapshotStoreContractTest extends SnapshotStoreContract {

    @TempDir
    Path dir;
    private int retain;

    @Override
    protected SnapshotStore newStore(int keep) throws IOException {
        retain = keep;
        return FileSnapshotStore.open(dir, keep);
    }

    @Override
    protected SnapshotStore reopen(SnapshotStore store) throws IOException {
        return FileSnapshotStore.open(dir, retain);
    }
}
