package dev.skiff.storage;

/**
 * What a {@link StorageProvider} needs to know about the node opening a store.
 *
 * @param clusterName    the cluster's name ({@code --cluster}): the key prefix in shared tables
 * @param nodeId         this node's id
 * @param snapshotRetain how many snapshots a snapshot store keeps
 * @param createTables   whether missing tables may be created ({@code --create-tables}; for
 *                       development and tests, never production)
 */
public record StorageContext(String clusterName, String nodeId, int snapshotRetain, boolean createTables) {
}
