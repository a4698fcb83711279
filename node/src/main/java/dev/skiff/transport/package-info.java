/**
 * Raft RPC over HTTP/1.1: {@link dev.skiff.transport.HttpTransport} (an Undertow server on the
 * raft port and a pipelining client to peers), the binary {@link dev.skiff.transport.MessageCodec}
 * and the {@link dev.skiff.transport.ClusterSecret} check.
 *
 * <p>Wire version 1, versioned twice over: in the path and in the codec's first byte.
 * <pre>
 * POST /raft/v1/message    body: one MessageCodec message            → 204 once queued
 * POST /raft/v1/snapshot   body (chunked): i32 n, n bytes of a MessageCodec InstallSnapshot,
 *                          then exactly meta.size bytes of data     → 204 once stored, 500 if not
 * header X-Skiff-Cluster-Secret: token derived from the secret (see ClusterSecret), when set
 * refusals: 401 secret, 404 path, 405 method, 400 undecodable body, 413 message over the limit
 * </pre>
 */
package dev.skiff.transport;
