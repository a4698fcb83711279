/**
 * Raft RPC over HTTP/1.1: {@link dev.skiff.transport.HttpTransport} (an Undertow server on the
 * raft port and a streaming client to peers), the binary {@link dev.skiff.transport.MessageCodec},
 * mutual TLS, and the {@link dev.skiff.transport.ClusterSecret} handshake and per-request MACs.
 *
 * <p>Wire version 1, versioned twice over: in the path and in the codec's first byte.
 * <pre>
 * POST /raft/v1/stream     Expect: 100-continue, chunked body of frames: [i64 counter, 32-byte MAC]
 *                          i32 n, n bytes of a MessageCodec batch     → 100, then nothing while it
 *                          lasts; 204 when the body ends; 401/400/413 on a bad frame (closed)
 * POST /raft/v1/messages   body: one MessageCodec batch (what nodes before streams send) → 204 once queued
 * POST /raft/v1/message    body: one MessageCodec message            → 204 once queued
 * POST /raft/v1/snapshot   body (chunked): i32 n, n bytes of a MessageCodec InstallSnapshot,
 *                          then exactly meta.size bytes of data     → 204 once stored, 500 if not
 * POST /raft/v1/auth       with a cluster secret: X-Skiff-Auth: hello CN → 200 challenge SN SP;
 *                          X-Skiff-Auth: prove CP → 204 (see ClusterSecret)
 * header X-Skiff-Auth: COUNTER MAC on every other request (and counter and MAC in each frame), with a cluster secret
 * refusals: 401 secret, 404 path, 405 method, 400 undecodable body, 413 message over the limit
 * with TLS: a peer without a certificate chaining to the CA fails the handshake
 * </pre>
 */
package dev.skiff.transport;
