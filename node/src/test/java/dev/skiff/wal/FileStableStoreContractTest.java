package dev.skiff.wal;

import dev.skiff.raft.StableStore;
import dev.skiff.raft.contract.StableStoreContract;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class FileStableStoreContractTest extends StableStoreContract {

    @TempDir
    Path dir;

    @Override
    protected StableStore newStore() throws IOException {
        return FileStableStore.open(dir);
    }

    @Override
    protected StableStore reopen(StableStore store) throws IOException {
        store.close();
        return FileStableStore.open(dir);
    }
}
