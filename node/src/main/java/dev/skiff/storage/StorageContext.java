package dev.skiff.storage;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.Objects;

/**
 * What a {@link StorageProvider} needs to know about the node opening a store.
 *
 * @param clusterName    the cluster's name ({@code --cluster}): the key prefix in shared tables
 * @param nodeId         this node's id
 * @param snapshotRetain how many snapshots a snapshot store keeps
 * @param createTables   whether missing tables may be created ({@code --create-tables}; for
 *                       development and tests, never production)
 * @param meters         where a store registers its metrics (the node's {@code /metrics}
 *                       registry); see {@link CloudCallMeters} for remote calls
 */
public record StorageContext(String clusterName, String nodeId, int snapshotRetain, boolean createTables,
                             MeterRegistry meters) {

    /** @throws NullPointerException if {@code meters} is null */
    public StorageContext {
        Objects.requireNonNull(meters, "meters");
    }

    /** A context whose metrics go nowhere (an empty composite registry records nothing). */
    public StorageContext(String clusterName, String nodeId, int snapshotRetain, boolean createTables) {
        this(clusterName, nodeId, snapshotRetain, createTables, new CompositeMeterRegistry());
    }
}
