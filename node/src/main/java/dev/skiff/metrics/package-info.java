/**
 * The node's own meters beyond the API's ({@link dev.skiff.api.ApiMetrics}): the JVM and the
 * process, WAL append and fsync latency, state-machine apply latency, snapshot duration and
 * size, and the leader's view of each follower. Each class adapts one component's timing hook
 * (which knows nothing of Micrometer) to meters in the node's registry; every meter carries a
 * description, which {@code /metrics} prints as its {@code # HELP} line.
 */
package dev.skiff.metrics;
