package dev.skiff.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * A client of Skiff's HTTP API (API.md §2, §3): KV reads and writes, prefix listings, cluster
 * status and membership, leadership transfer and snapshots, over a list of endpoints.
 *
 * <pre>{@code
 * try (SkiffClient skiff = SkiffClient.builder()
 *         .endpoints("10.0.0.1:8001", "10.0.0.2:8001", "10.0.0.3:8001")
 *         .build()) {
 *     long index = skiff.put("app/config", "v1".getBytes(UTF_8));
 *     KeyValue kv = skiff.get("app/config", Consistency.CONSISTENT).orElseThrow();
 *     try {
 *         skiff.cas("app/config", "v2".getBytes(UTF_8), kv.modifyIndex());
 *     } catch (CasMismatchException e) {
 *         // someone else wrote first; e.currentModifyIndex() is the index to compare with now
 *     }
 * }
 * }</pre>
 *
 * <p><b>Endpoints and the leader.</b> Any node serves every request (followers forward to the
 * leader), so the client sends each request to one endpoint: the one that answered last, or the
 * leader's once it knows which endpoint that is ({@code X-Skiff-Leader} names the leader, and
 * {@link #status()} / {@link #members()} tell the client the members' API addresses). An
 * endpoint that cannot be reached is skipped for the next one.
 *
 * <p><b>Retries.</b> A request that could not be sent (connection refused, connect timeout) or
 * was answered {@code 503} (no leader, not ready: surely not applied) is tried again, on the next
 * endpoint, after the node's {@code Retry-After} once every endpoint has been tried, until the
 * {@linkplain Builder#retryBudget retry budget} runs out ({@link UnavailableException}). Reads
 * are also retried after a timeout or {@code 504}. A write that got {@code 504} or lost its
 * connection after it was sent may have been applied: it is <em>never</em> sent again unless the
 * call was marked {@linkplain WriteOptions#idempotent() idempotent}; the caller gets
 * {@link OutcomeUnknownException}.
 *
 * <p><b>Errors.</b> {@code 404} → {@link NotFoundException} (a key read returns an empty
 * {@code Optional} instead), {@code 412} → {@link CasMismatchException} with the key's current
 * modifyIndex, other {@code 4xx} → {@link RequestRejectedException}, anything else →
 * {@link SkiffException}. All are unchecked.
 *
 * <p>Thread-safe; one instance per application is enough. Requests run on the calling thread
 * (the JDK's {@code HttpURLConnection}, with its keep-alive connections; no threads of its own),
 * so virtual threads suit it.
 */
public final class SkiffClient implements AutoCloseable {

    /** The token header (API.md §7). */
    public static final String TOKEN_HEADER = "X-Skiff-Token";
    /** How many bytes a snapshot transfer is assumed to move per second at worst, for its timeout. */
    static final long MIN_TRANSFER_BYTES_PER_SECOND = 1 << 20;

    private static final int PROGRESS_STEP = 64 * 1024;

    private final Endpoints endpoints;
    private final Duration requestTimeout;
    private final String token;
    private final Retrier retrier;

    private SkiffClient(Builder b) {
        this.endpoints = new Endpoints(b.endpoints, b.sslContext != null);
        this.requestTimeout = b.requestTimeout;
        this.token = b.token;
        this.retrier = new Retrier(new Exchange(b.connectTimeout, b.sslContext == null ? null : b.sslContext.getSocketFactory()),
                endpoints, b.retryBudget, b.retryListener);
    }

    /** A builder; {@link Builder#endpoints} is the only required setting. */
    public static Builder builder() {
        return new Builder();
    }

    // ------------------------------------------------------------------------------------ KV

    /**
     * Sets {@code key} to {@code value}.
     *
     * @return the write's Raft index, the key's new modifyIndex
     * @throws OutcomeUnknownException if the write may or may not have been applied
     */
    public long put(String key, byte[] value) {
        return put(key, value, WriteOptions.DEFAULT);
    }

    /** {@link #put(String, byte[])} with retry options (e.g. {@link WriteOptions#idempotent()}). */
    public long put(String key, byte[] value, WriteOptions options) {
        return writeIndex("PUT", kvPath(key), value, options);
    }

    /**
     * Sets {@code key} to {@code value} only if its modifyIndex is {@code expectedModifyIndex}
     * ({@code 0}: only if the key does not exist).
     *
     * <pre>{@code
     * skiff.cas("lock/owner", me, 0);                 // create only
     * skiff.cas("counter", next, current.modifyIndex());
     * }</pre>
     *
     * @return the write's Raft index
     * @throws CasMismatchException with the current modifyIndex when it does not match
     */
    public long cas(String key, byte[] value, long expectedModifyIndex) {
        return cas(key, value, expectedModifyIndex, WriteOptions.DEFAULT);
    }

    /** {@link #cas(String, byte[], long)} with retry options. */
    public long cas(String key, byte[] value, long expectedModifyIndex, WriteOptions options) {
        requireIndex(expectedModifyIndex);
        return writeIndex("PUT", kvPath(key) + "?cas=" + expectedModifyIndex, value, options);
    }

    /** The value of {@code key} read with {@link Consistency#DEFAULT}; empty if there is no such key. */
    public Optional<KeyValue> get(String key) {
        return get(key, Consistency.DEFAULT);
    }

    /**
     * The value of {@code key}, exact bytes, and its modifyIndex ({@link KeyValue#createIndex()}
     * is 0: this read does not report it; see {@link #getDetailed}).
     *
     * @return empty if there is no such key
     */
    public Optional<KeyValue> get(String key, Consistency consistency) {
        Objects.requireNonNull(consistency, "consistency");
        try {
            Response r = retrier.send(request("GET", kvPath(key) + "?consistency=" + consistency.wireName(), null, true));
            long modifyIndex = r.longHeader("X-Skiff-Modify-Index").orElse(0);
            return Optional.of(new KeyValue(key, r.body(), modifyIndex, 0));
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    /**
     * The value of {@code key} with all its metadata (modifyIndex and createIndex), read in one
     * request (a one-item listing).
     *
     * @return empty if there is no such key
     */
    public Optional<KeyValue> getDetailed(String key, Consistency consistency) {
        KvPage page = list(key, null, 1, consistency);
        return page.items().stream().filter(kv -> kv.key().equals(key)).findFirst();
    }

    /**
     * Deletes {@code key}.
     *
     * @return the delete's index and whether the key existed
     */
    public DeleteResult delete(String key) {
        return delete(key, WriteOptions.DEFAULT);
    }

    /** {@link #delete(String)} with retry options. */
    public DeleteResult delete(String key, WriteOptions options) {
        JsonNode body = writeJson("DELETE", kvPath(key), null, options);
        return new DeleteResult(body.path("index").asLong(), body.path("deleted").asBoolean());
    }

    /**
     * Deletes {@code key} only if its modifyIndex is {@code expectedModifyIndex}.
     *
     * @throws CasMismatchException with the current modifyIndex when it does not match
     */
    public DeleteResult delete(String key, long expectedModifyIndex) {
        requireIndex(expectedModifyIndex);
        JsonNode body = writeJson("DELETE", kvPath(key) + "?cas=" + expectedModifyIndex, null, WriteOptions.DEFAULT);
        return new DeleteResult(body.path("index").asLong(), body.path("deleted").asBoolean());
    }

    /**
     * One page of the keys starting with {@code prefix}, ordered by key.
     *
     * @param prefix      the key prefix ("" for all keys)
     * @param after       start after this key (the last key of the previous page), or null
     * @param limit       at most this many items, 1..10000
     * @param consistency how fresh the listing must be
     */
    public KvPage list(String prefix, String after, int limit, Consistency consistency) {
        if (limit < 1 || limit > 10_000) {
            throw new IllegalArgumentException("limit must be 1..10000, got " + limit);
        }
        StringBuilder q = new StringBuilder("/v1/kv/?prefix=").append(query(prefix == null ? "" : prefix))
                .append("&limit=").append(limit).append("&consistency=").append(consistency.wireName());
        if (after != null && !after.isEmpty()) {
            q.append("&after=").append(query(after));
        }
        Response r = retrier.send(request("GET", q.toString(), null, true));
        JsonNode body = json(r);
        List<KeyValue> items = new ArrayList<>();
        Base64.Decoder b64 = Base64.getDecoder();
        for (JsonNode item : body.path("items")) {
            items.add(new KeyValue(item.path("key").asText(), b64.decode(item.path("value").asText()),
                    item.path("modifyIndex").asLong(), item.path("createIndex").asLong()));
        }
        return new KvPage(items, body.path("more").asBoolean(), r.longHeader("X-Skiff-Index").orElse(0));
    }

    /**
     * Every key starting with {@code prefix}, fetched page by page ({@code pageSize} at a time) as
     * the iteration goes; each page is read on its own, so a listing of a changing prefix is not
     * one point-in-time view.
     *
     * <pre>{@code
     * for (KeyValue kv : skiff.listAll("app/", 1000, Consistency.DEFAULT)) { ... }
     * }</pre>
     */
    public Iterable<KeyValue> listAll(String prefix, int pageSize, Consistency consistency) {
        return () -> new Iterator<>() {
            private KvPage page = list(prefix, null, pageSize, consistency);
            private int next;

            @Override
            public boolean hasNext() {
                while (next >= page.items().size() && page.more() && !page.items().isEmpty()) {
                    page = list(prefix, page.items().get(page.items().size() - 1).key(), pageSize, consistency);
                    next = 0;
                }
                return next < page.items().size();
            }

            @Override
            public KeyValue next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return page.items().get(next++);
            }
        };
    }

    // ------------------------------------------------------------------------------- cluster

    /** The answering node's {@code /v1/status}. */
    public NodeStatus status() {
        JsonNode s = json(retrier.send(request("GET", "/v1/status", null, true)));
        List<Member> members = members(s.path("latest_configuration"));
        endpoints.learn(members);
        Map<String, String> storage = new LinkedHashMap<>();
        s.path("storage").fields().forEachRemaining(e -> storage.put(e.getKey(), e.getValue().asText()));
        JsonNode leader = s.path("leader");
        if (leader.hasNonNull("id")) {
            endpoints.leaderIs(leader.path("id").asText());
        }
        return new NodeStatus(s.path("id").asText(), s.path("state").asText(), s.path("term").asLong(),
                leader.path("id").asText(""), leader.path("apiAddress").asText(""),
                s.path("commit_index").asLong(), s.path("applied_index").asLong(), s.path("last_log_index").asLong(),
                s.path("last_log_term").asLong(), s.path("last_snapshot_index").asLong(), members,
                s.path("last_contact").asText(""), storage, s);
    }

    /** The cluster's configuration (forwarded to nothing: the answering node's latest view). */
    public List<Member> members() {
        JsonNode body = json(retrier.send(request("GET", "/v1/cluster/members", null, true)));
        List<Member> members = members(body.path("members"));
        endpoints.learn(members);
        return members;
    }

    /**
     * Adds a new member ({@code POST /v1/cluster/members}); a voter joins as a non-voter and is
     * promoted once it has caught up. Adding an identical member again changes nothing.
     *
     * @return the configuration change's index
     * @throws RequestRejectedException {@code 409 member_exists} when the id is a member with other addresses
     */
    public long addMember(Member member) {
        ObjectNode body = Json.MAPPER.createObjectNode().put("id", member.id()).put("raftAddress", member.raftAddress())
                .put("apiAddress", member.apiAddress()).put("voter", member.voter());
        return writeJson("POST", "/v1/cluster/members", bytes(body), WriteOptions.idempotent()).path("index").asLong();
    }

    /**
     * Changes an existing member's addresses ({@code PUT /v1/cluster/members/{id}}); a null or
     * empty address keeps the current one. A repeat is harmless, so it is retried like a read.
     *
     * @return the configuration change's index
     * @throws NotFoundException when there is no such member
     */
    public long updateMember(String id, String raftAddress, String apiAddress) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        if (raftAddress != null && !raftAddress.isEmpty()) {
            body.put("raftAddress", raftAddress);
        }
        if (apiAddress != null && !apiAddress.isEmpty()) {
            body.put("apiAddress", apiAddress);
        }
        return writeJson("PUT", "/v1/cluster/members/" + segment(id), bytes(body), WriteOptions.idempotent()).path("index").asLong();
    }

    /**
     * Removes a member ({@code DELETE /v1/cluster/members/{id}}).
     *
     * @return the configuration change's index
     * @throws NotFoundException when there is no such member
     */
    public long removeMember(String id) {
        return writeJson("DELETE", "/v1/cluster/members/" + segment(id), null, WriteOptions.DEFAULT).path("index").asLong();
    }

    /**
     * Asks the leader to hand leadership over: to {@code toId}, or to the most caught-up voter
     * when {@code toId} is null.
     */
    public LeadershipTransfer transferLeadership(String toId) {
        String path = "/v1/cluster/leadership-transfer" + (toId == null || toId.isEmpty() ? "" : "?to=" + query(toId));
        JsonNode body = writeJson("POST", path, null, WriteOptions.DEFAULT);
        String leader = body.path("leader").asText("");
        if (!leader.isEmpty()) {
            endpoints.leaderIs(leader);
        }
        return new LeadershipTransfer(body.path("previousLeader").asText(""), leader);
    }

    // ----------------------------------------------------------------------------------- ACL

    /**
     * Creates an ACL token ({@code POST /v1/acl/tokens}); needs operator {@code write}. The answer
     * carries the token's secret, which is never shown again. Not retried when the outcome is
     * unknown (a retry would create a second token).
     *
     * @param operator {@code none}, {@code read} or {@code write}
     */
    public AclToken createToken(String description, List<AclRule> rules, String operator) {
        ObjectNode body = Json.MAPPER.createObjectNode().put("description", description == null ? "" : description)
                .put("operator", operator == null ? "none" : operator);
        com.fasterxml.jackson.databind.node.ArrayNode array = body.putArray("rules");
        for (AclRule r : rules) {
            array.addObject().put("prefix", r.prefix()).put("access", r.access());
        }
        return aclToken(writeJson("POST", "/v1/acl/tokens", bytes(body), WriteOptions.DEFAULT));
    }

    /** The cluster's ACL tokens ({@code GET /v1/acl/tokens}), without secrets; needs operator {@code read}. */
    public List<AclToken> tokens() {
        JsonNode body = json(retrier.send(request("GET", "/v1/acl/tokens", null, true)));
        List<AclToken> out = new ArrayList<>();
        for (JsonNode t : body.path("tokens")) {
            out.add(aclToken(t));
        }
        return out;
    }

    /**
     * Deletes an ACL token ({@code DELETE /v1/acl/tokens/{accessorId}}); needs operator {@code write}.
     *
     * @return whether it existed
     */
    public boolean deleteToken(String accessorId) {
        return writeJson("DELETE", "/v1/acl/tokens/" + segment(accessorId), null, WriteOptions.idempotent())
                .path("deleted").asBoolean();
    }

    private static AclToken aclToken(JsonNode t) {
        List<AclRule> rules = new ArrayList<>();
        for (JsonNode r : t.path("rules")) {
            rules.add(new AclRule(r.path("prefix").asText(), r.path("access").asText()));
        }
        return new AclToken(t.path("accessorId").asText(), t.path("secretId").asText(""), t.path("description").asText(""),
                List.copyOf(rules), t.path("operator").asText("none"), t.path("createIndex").asLong());
    }

    // ----------------------------------------------------------------------------- snapshots

    /** Takes a snapshot now ({@code POST /v1/snapshot}). */
    public SnapshotInfo takeSnapshot() {
        JsonNode body = writeJson("POST", "/v1/snapshot", null, WriteOptions.idempotent());
        return new SnapshotInfo(body.path("index").asLong(), body.path("term").asLong(), body.path("id").asText(""),
                body.path("size").asLong(-1));
    }

    /**
     * Streams the latest snapshot into {@code out} ({@code GET /v1/snapshot}), reporting progress.
     * The transfer may take the request timeout plus one second per MiB of the snapshot.
     *
     * @return the snapshot's index, term and the bytes written
     */
    public SnapshotInfo downloadSnapshot(OutputStream out, TransferProgress progress) {
        Response r = retrier.send(request("GET", "/v1/snapshot", null, true), true);
        long total = r.longHeader("Content-Length").orElse(-1);
        Duration allowed = requestTimeout.plus(transferTime(Math.max(total, 0)));
        long copied;
        try (InputStream in = r.stream(); Watchdog ignored = new Watchdog(in, allowed)) {
            copied = copy(in, out, total, progress, ignored);
        } catch (IOException e) {
            throw new SkiffException(0, "", "snapshot download from " + r.endpoint().getAuthority() + " failed: " + e.getMessage(), e);
        }
        if (total >= 0 && copied != total) {
            throw new SkiffException(0, "", "snapshot download ended after " + copied + " of " + total + " bytes", null);
        }
        return new SnapshotInfo(r.longHeader("X-Skiff-Snapshot-Index").orElse(0),
                r.longHeader("X-Skiff-Snapshot-Term").orElse(0), "", copied);
    }

    /**
     * Saves the latest snapshot to {@code file}: written to {@code file.part} first and renamed
     * when complete, so {@code file} is never a partial snapshot.
     *
     * @throws IllegalArgumentException when the file's directory does not exist or {@code file} is a directory
     */
    public SnapshotInfo saveSnapshot(Path file, TransferProgress progress) {
        Path absolute = file.toAbsolutePath();
        Path dir = absolute.getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("directory " + dir + " does not exist; create it first or save elsewhere");
        }
        if (Files.isDirectory(absolute)) {
            throw new IllegalArgumentException(file + " is a directory; give a file name, e.g. " + file.resolve("backup.snap"));
        }
        Path part = absolute.resolveSibling(absolute.getFileName() + ".part");
        try {
            SnapshotInfo info;
            try (OutputStream out = Files.newOutputStream(part)) {
                info = downloadSnapshot(out, progress);
            }
            Files.move(part, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return info;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + part + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(part);
            } catch (IOException ignored) {
                // the rename took it, or the error above says why it is there
            }
        }
    }

    /**
     * Replaces the cluster's state with the snapshot in {@code file} ({@code PUT /v1/snapshot}).
     * The node checks the whole snapshot before anything changes. The request may take the
     * request timeout plus one second per MiB of the file.
     *
     * @return the restore's Raft index
     * @throws RequestRejectedException {@code 400 bad_snapshot} naming what is wrong with the file
     */
    public long restoreSnapshot(Path file, TransferProgress progress) {
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("snapshot file " + file + " does not exist");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        Call.Body body = new Call.Body(size, () -> new CountingInputStream(Files.newInputStream(file), size, progress));
        Call call = new Call("PUT", "/v1/snapshot", body, "application/octet-stream", false,
                requestTimeout.plus(transferTime(size)), token);
        return json(retrier.send(call)).path("index").asLong();
    }

    /**
     * Ends the client's use. It holds no threads; the JDK keeps idle connections to the nodes for
     * a few seconds per process and closes them itself. Kept so that a client can be scoped with
     * try-with-resources, and a later transport that holds resources needs no change of callers.
     */
    @Override
    public void close() {
        // nothing to release: see above
    }

    @Override
    public String toString() {
        return "SkiffClient" + endpoints;
    }

    // ------------------------------------------------------------------------------- helpers

    static Duration transferTime(long bytes) {
        return Duration.ofSeconds(bytes / MIN_TRANSFER_BYTES_PER_SECOND + 1);
    }

    private long writeIndex(String method, String path, byte[] value, WriteOptions options) {
        return writeJson(method, path, value, options).path("index").asLong();
    }

    private JsonNode writeJson(String method, String path, byte[] body, WriteOptions options) {
        Call call = new Call(method, path, body == null ? null : Call.Body.of(body),
                body == null ? null : "application/octet-stream", options.retryUnknownOutcome(), requestTimeout, token);
        return json(retrier.send(call));
    }

    private Call request(String method, String path, byte[] body, boolean retryUnknown) {
        return new Call(method, path, body == null ? null : Call.Body.of(body), null, retryUnknown,
                requestTimeout, token);
    }

    private static List<Member> members(JsonNode array) {
        List<Member> out = new ArrayList<>();
        for (JsonNode m : array) {
            out.add(new Member(m.path("id").asText(), m.path("raftAddress").asText(), m.path("apiAddress").asText(""),
                    !"nonvoter".equals(m.path("suffrage").asText("voter"))));
        }
        return out;
    }

    private static JsonNode json(Response r) {
        try {
            return Json.MAPPER.readTree(r.body());
        } catch (IOException e) {
            throw new SkiffException(r.status(), "", "the node at " + r.endpoint().getAuthority() + " answered "
                    + r.status() + " with a body that is not JSON: " + e.getMessage(), e);
        }
    }

    private static byte[] bytes(JsonNode node) {
        try {
            return Json.MAPPER.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void requireIndex(long index) {
        if (index < 0) {
            throw new IllegalArgumentException("a modifyIndex is 0 (absent) or more, got " + index);
        }
    }

    /** {@code /v1/kv/} plus the key, each {@code /}-separated part percent-encoded. */
    static String kvPath(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("the key must not be empty");
        }
        StringBuilder sb = new StringBuilder("/v1/kv/");
        String[] parts = key.split("/", -1);
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                sb.append('/');
            }
            sb.append(segment(parts[i]));
        }
        return sb.toString();
    }

    private static String segment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String query(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static long copy(InputStream in, OutputStream out, long total, TransferProgress progress, Watchdog watchdog)
            throws IOException {
        byte[] buf = new byte[PROGRESS_STEP];
        long done = 0;
        int n;
        while ((n = in.read(buf)) >= 0) {
            out.write(buf, 0, n);
            done += n;
            progress.update(done, total);
        }
        if (watchdog.fired()) {
            throw new IOException("timed out");
        }
        return done;
    }

    /** Closes a stream when its time is up, so that a stalled download ends with an error instead of hanging. */
    private static final class Watchdog implements AutoCloseable {
        private final Thread thread;
        private volatile boolean fired;

        Watchdog(InputStream in, Duration allowed) {
            thread = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(allowed);
                    fired = true;
                    in.close();
                } catch (InterruptedException | IOException e) {
                    // finished in time (interrupted by close), or the stream is closed anyway
                }
            });
        }

        boolean fired() {
            return fired;
        }

        @Override
        public void close() throws IOException {
            thread.interrupt();
            if (fired) {
                throw new IOException("timed out");
            }
        }
    }

    /** Counts the bytes read from a file being uploaded, for progress. */
    private static final class CountingInputStream extends java.io.FilterInputStream {
        private final long total;
        private final TransferProgress progress;
        private long done;
        private long reported;

        CountingInputStream(InputStream in, long total, TransferProgress progress) {
            super(in);
            this.total = total;
            this.progress = progress;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                advance(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                advance(n);
            } else if (n < 0 && reported != done) {
                reported = done;
                progress.update(done, total);
            }
            return n;
        }

        private void advance(int n) {
            done += n;
            if (done - reported >= PROGRESS_STEP || done == total) {
                reported = done;
                progress.update(done, total);
            }
        }
    }

    /** Settings of a {@link SkiffClient}. */
    public static final class Builder {
        private List<String> endpoints = List.of();
        private Duration connectTimeout = Duration.ofSeconds(3);
        private Duration requestTimeout = Duration.ofSeconds(15);
        private Duration retryBudget = Duration.ofSeconds(30);
        private SSLContext sslContext;
        private String token;
        private RetryListener retryListener = RetryListener.NONE;

        private Builder() {
        }

        /**
         * The nodes to talk to: {@code host:port} (http, or https with {@link #sslContext}) or
         * {@code http(s)://host:port}. The first is tried first.
         */
        public Builder endpoints(String... endpoints) {
            return endpoints(List.of(endpoints));
        }

        /** {@link #endpoints(String...)} from a list. */
        public Builder endpoints(List<String> endpoints) {
            this.endpoints = List.copyOf(endpoints);
            return this;
        }

        /** How long connecting to one endpoint may take before the next is tried (default 3 s). */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connectTimeout");
            return this;
        }

        /**
         * How long one attempt may wait for its answer (default 15 s, above the node's own 10 s
         * so that the node's 503/504 arrives first). Snapshot transfers get one more second per MiB.
         */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive(timeout, "requestTimeout");
            return this;
        }

        /**
         * How long a call keeps retrying (other endpoints, {@code Retry-After}) before it gives up
         * (default 30 s); {@link Duration#ZERO} tries each endpoint once.
         */
        public Builder retryBudget(Duration budget) {
            if (budget == null || budget.isNegative()) {
                throw new IllegalArgumentException("retryBudget must be zero or more");
            }
            this.retryBudget = budget;
            return this;
        }

        /** TLS settings (trust store, client certificate) for {@code https} endpoints; null for plain HTTP. */
        public Builder sslContext(SSLContext context) {
            this.sslContext = context;
            return this;
        }

        /** An ACL token sent as {@value SkiffClient#TOKEN_HEADER} with every request; null for none. */
        public Builder token(String token) {
            this.token = token == null || token.isEmpty() ? null : token;
            return this;
        }

        /** Told before every retry (default: nothing). */
        public Builder retryListener(RetryListener listener) {
            this.retryListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * The client.
         *
         * @throws IllegalArgumentException when no endpoint is given or one is malformed
         */
        public SkiffClient build() {
            return new SkiffClient(this);
        }

        private static Duration positive(Duration d, String name) {
            if (d == null || d.isZero() || d.isNegative()) {
                throw new IllegalArgumentException(name + " must be positive");
            }
            return d;
        }
    }
}
