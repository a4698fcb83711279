package dev.skiff.cli;

import java.net.URI;
import java.time.Duration;

/**
 * Where a node keeps what does not live in its data dir, already validated (issue #5): the
 * cloud side of {@link NodeSettings}. A null URI means the local default.
 *
 * @param cluster           the cluster's name ({@code --cluster}): the key prefix in shared tables
 * @param snapshots         a provider's snapshot store ({@code --snapshots s3://…}), or null for
 *                          {@link NodeSettings#snapshotsDir()}
 * @param stable            a provider's stable store ({@code --stable dynamodb://…}), or null for
 *                          the file in the data dir
 * @param discovery         the discovery table ({@code --discovery}), or null
 * @param restoreFrom       the snapshot a new cluster starts from ({@code --restore-from}), or null
 * @param createTables      whether missing DynamoDB tables may be created ({@code --create-tables})
 * @param discoveryInterval time between discovery heartbeats
 */
record StorageSettings(String cluster, URI snapshots, URI stable, URI discovery, URI restoreFrom, boolean createTables,
                       Duration discoveryInterval) {

    /** The cluster name when neither {@code --cluster} nor the discovery URI gives one. */
    static final String DEFAULT_CLUSTER = "skiff";

    /** Everything on local disk, no discovery: the behaviour before issue #5. */
    static StorageSettings local() {
        return new StorageSettings(DEFAULT_CLUSTER, null, null, null, null, false, dev.skiff.discovery.DiscoveryAgent.DEFAULT_INTERVAL);
    }

    /** This with a discovery table. */
    StorageSettings withDiscovery(URI uri, Duration interval) {
        return new StorageSettings(cluster, snapshots, stable, uri, restoreFrom, createTables, interval);
    }
}
