package dev.skiff.cli;

import dev.skiff.api.ApiServer;
import java.net.URI;
import dev.skiff.raft.RaftConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Everything a node needs to start, already validated: the result of parsing {@code skiff node}
 * flags (or of {@code skiff demo} choosing them).
 *
 * @param id            the node's id
 * @param apiBind       where the client API listens
 * @param raftBind      where the raft port listens
 * @param apiAdvertise  the client address other nodes and clients use
 * @param raftAdvertise the raft address other nodes use
 * @param dataDir       the node's data directory
 * @param snapshotsDir  where snapshots are stored
 * @param bootstrap     start a new cluster if there is no state
 * @param join          api URLs of members to ask for admission
 * @param clusterSecret the raft port secret, or null
 * @param maxValueBytes largest accepted value
 * @param requestTimeout how long a client request may wait for the cluster
 * @param raftConfig    Raft settings (validated)
 * @param storage       snapshot, stable and discovery back-ends beyond the data dir
 * @param autopilot     readiness and dead-member cleanup
 * @param archive       the log archive and point-in-time restore ({@link ArchiveSettings#NONE} for none)
 * @param apiIoThreads  the client API's I/O threads
 */
record NodeSettings(String id, HostPort apiBind, HostPort raftBind, HostPort apiAdvertise, HostPort raftAdvertise,
                    Path dataDir, Path snapshotsDir, boolean bootstrap, List<URI> join, String clusterSecret,
                    int maxValueBytes, Duration requestTimeout, RaftConfig raftConfig, StorageSettings storage,
                    AutopilotSettings autopilot, ArchiveSettings archive, int apiIoThreads) {

    /** Settings with the API's default I/O threads for this machine. */
    NodeSettings(String id, HostPort apiBind, HostPort raftBind, HostPort apiAdvertise, HostPort raftAdvertise,
                 Path dataDir, Path snapshotsDir, boolean bootstrap, List<URI> join, String clusterSecret,
                 int maxValueBytes, Duration requestTimeout, RaftConfig raftConfig, StorageSettings storage,
                 AutopilotSettings autopilot, ArchiveSettings archive) {
        this(id, apiBind, raftBind, apiAdvertise, raftAdvertise, dataDir, snapshotsDir, bootstrap, join, clusterSecret,
                maxValueBytes, requestTimeout, raftConfig, storage, autopilot, archive,
                ApiServer.defaultIoThreads(Runtime.getRuntime().availableProcessors()));
    }

    /** Settings without a log archive. */
    NodeSettings(String id, HostPort apiBind, HostPort raftBind, HostPort apiAdvertise, HostPort raftAdvertise,
                 Path dataDir, Path snapshotsDir, boolean bootstrap, List<URI> join, String clusterSecret,
                 int maxValueBytes, Duration requestTimeout, RaftConfig raftConfig, StorageSettings storage,
                 AutopilotSettings autopilot) {
        this(id, apiBind, raftBind, apiAdvertise, raftAdvertise, dataDir, snapshotsDir, bootstrap, join, clusterSecret,
                maxValueBytes, requestTimeout, raftConfig, storage, autopilot, ArchiveSettings.NONE);
    }

    /** Settings with the default {@link AutopilotSettings} (for the demo and tests). */
    NodeSettings(String id, HostPort apiBind, HostPort raftBind, HostPort apiAdvertise, HostPort raftAdvertise,
                 Path dataDir, Path snapshotsDir, boolean bootstrap, List<URI> join, String clusterSecret,
                 int maxValueBytes, Duration requestTimeout, RaftConfig raftConfig, StorageSettings storage) {
        this(id, apiBind, raftBind, apiAdvertise, raftAdvertise, dataDir, snapshotsDir, bootstrap, join, clusterSecret,
                maxValueBytes, requestTimeout, raftConfig, storage, AutopilotSettings.DEFAULTS);
    }

    /** 1 MiB, as API.md says. */
    static final int DEFAULT_MAX_VALUE_BYTES = 1 << 20;
    /** 10 s for a client request. */
    static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
}
