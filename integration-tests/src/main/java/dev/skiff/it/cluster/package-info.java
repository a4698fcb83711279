/**
 * A harness for multi-process Skiff clusters on 127.0.0.1 (issue #4, item 6): real node JVMs
 * started with {@code dev.skiff.cli.Main node ...}, and the fault verbs of MicroRaft's
 * {@code LocalRaftGroup} and hashicorp/raft's {@code testing.go} on top of them.
 *
 * <p>{@link dev.skiff.it.cluster.ProcessCluster} starts, kills ({@code kill -9}), pauses
 * ({@code SIGSTOP}/{@code SIGCONT}) and restarts {@link dev.skiff.it.cluster.NodeProcess}es;
 * {@link dev.skiff.it.cluster.NodeClient} speaks the client API of API.md §2–3 and
 * {@link dev.skiff.it.cluster.RawHttp} sends bytes no HTTP client would (bad percent-encoding,
 * garbage). Every process this package starts is also registered with a JVM shutdown hook,
 * so none outlives the test JVM.
 */
package dev.skiff.it.cluster;
