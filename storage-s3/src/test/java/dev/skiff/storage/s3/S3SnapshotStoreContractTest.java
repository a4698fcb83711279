package dev.skiff.storage.s3;

import dev.skiff.raft.SnapshotStore;
import dev.skiff.raft.contract.SnapshotStoreContract;
import java.io.IOException;

/** The snapshot store contract against S3Proxy running in this JVM. */
class S3SnapshotStoreContractTest extends SnapshotStoreContract {

    @Override
    protected SnapshotStore newStore(int retain) throws IOException {
        S3ProxyServer server = S3ProxyServer.get();
        return S3SnapshotStore.open(server.client(), S3ProxyServer.location("contract"), retain, false);
    }

    @Override
    protected SnapshotStore reopen(SnapshotStore store) throws IOException {
        S3SnapshotStore s3 = (S3SnapshotStore) store;
        return S3SnapshotStore.open(S3ProxyServer.get().client(), s3.location(), 2, false);
    }
}
