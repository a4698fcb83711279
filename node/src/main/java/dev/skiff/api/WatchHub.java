package dev.skiff.api;

import dev.skiff.acl.AclRules;
import dev.skiff.kv.KvChange;
import dev.skiff.kv.KvState;
import dev.skiff.kv.KvStateMachine;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.sse.ServerSentEventConnection;
import io.undertow.server.handlers.sse.ServerSentEventHandler;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /v1/watch?prefix=P[&from=N]} (API.md §8): a {@code text/event-stream} of the key
 * changes under a prefix, in commit order, from this node's own applied state. Each event's
 * data is {@code {"op":"put"|"delete","key","value"(base64, puts only),"modifyIndex"}}; the
 * last event of each Raft entry carries {@code id: INDEX}, so a client that resumes with {@code
 * from} (or {@code Last-Event-ID}) = the last id it saw gets every change after that entry,
 * never half an entry. The node keeps its latest changes in a {@link WatchHistory} of at most
 * {@link #HISTORY_BYTES} bytes; a {@code from} older than that (or than the node's start, or a
 * snapshot install or restore that replaced the state) is {@code 410 compacted}: the client reads
 * the prefix afresh and watches from its index.
 *
 * <p>An idle watcher holds no thread: Undertow's event-stream connection writes from the I/O
 * thread. The state machine's change listener hands each applied batch over on the FSM thread;
 * sending only queues. A watcher that falls {@value #MAX_PENDING} events or {@value
 * #MAX_PENDING_BYTES} bytes of events behind (a client that stopped reading) is disconnected and
 * may resume. Thread-safe.
 */
final class WatchHub implements KvStateMachine.ChangeListener {

    /**
     * How much memory the changes kept for resuming watchers may take: 64 MiB, or 1/32 of the
     * heap when that is less. The history holds copies of recent values, on top of the state and
     * the log cache; a fixed 64 MiB ran a 256 MiB node out of heap while it sent 80 MB of 1 MB
     * values to a follower (HealthAndCleanupIT).
     */
    static final long HISTORY_BYTES = Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 32);
    /** How many unsent events one watcher may have queued before it is cut off. */
    static final int MAX_PENDING = 10_000;
    /** How many bytes of unsent events one watcher may have queued before it is cut off (16 MiB). */
    static final long MAX_PENDING_BYTES = 16L << 20;
    private static final Logger log = LoggerFactory.getLogger(WatchHub.class);

    private final Object lock = new Object();
    private final WatchHistory history;
    private final List<Watcher> watchers = new ArrayList<>();

    private record Watcher(String prefix, AclRules rules, ServerSentEventConnection connection, AtomicInteger pending,
                           AtomicLong pendingBytes) {
    }

    /** @param startIndex the applied index when the node started: no change before it is known */
    WatchHub(long startIndex) {
        this.history = new WatchHistory(HISTORY_BYTES, startIndex);
    }

    @Override
    public void published(KvState state, List<KvChange> changes, boolean replaced) {
        synchronized (lock) {
            if (replaced) {
                history.clear(state.appliedIndex());
                for (Watcher w : List.copyOf(watchers)) {
                    // What changed is unknown: the watcher resumes, gets 410 and reads afresh.
                    w.connection.shutdown();
                }
                watchers.clear();
                return;
            }
            for (KvChange c : changes) {
                history.append(c);
            }
            for (Watcher w : List.copyOf(watchers)) {
                send(w, changes);
            }
        }
    }

    /** The index at or below which no change is kept: a {@code from} below it is 410. */
    long oldestKept() {
        synchronized (lock) {
            return history.floor();
        }
    }

    /** How many watchers are connected; for tests and benchmarks. */
    int watchers() {
        synchronized (lock) {
            return watchers.size();
        }
    }

    /**
     * Serves {@code GET /v1/watch}: checks the request, then turns the exchange into an event
     * stream. Returns true: the exchange stays open (the caller must not end it).
     *
     * @throws ApiException 400 for a bad query, 410 {@code compacted} for a {@code from} the
     *                      history no longer covers
     */
    boolean open(HttpServerExchange exchange, long appliedIndex) {
        if (!exchange.getRequestMethod().toString().equals("GET")) {
            throw new ApiException(405, "method_not_allowed", exchange.getRequestMethod() + " is not allowed here; use GET");
        }
        RequestParts query = RequestParts.ofQuery(exchange.getQueryString()).allowOnly(Set.of("prefix", "from"));
        String prefix = query.param("prefix") == null ? "" : query.param("prefix");
        String lastEventId = exchange.getRequestHeaders().getFirst("Last-Event-ID");
        long from;
        if (query.param("from") != null) {
            from = query.longParam("from", 0);
        } else if (lastEventId != null && !lastEventId.isBlank()) {
            try {
                from = Long.parseLong(lastEventId.trim());
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("Last-Event-ID must be an index from this stream, got '" + lastEventId + "'");
            }
        } else {
            from = appliedIndex;
        }
        AclRules rules = AclGuard.rules(exchange);
        requireCovered(from);
        try {
            new ServerSentEventHandler((connection, ignored) -> subscribe(new Watcher(prefix, rules, connection,
                    new AtomicInteger(), new AtomicLong()), from)).handleRequest(exchange);
        } catch (Exception e) {
            throw new IllegalStateException("could not start the event stream", e);
        }
        return true;
    }

    private void requireCovered(long from) {
        synchronized (lock) {
            long floor = history.floor();
            if (from < floor) {
                throw new ApiException(410, "compacted", "changes after index " + from + " are no longer kept here (this node "
                        + "keeps them from index " + floor + "); read the prefix afresh and watch from its X-Skiff-Index",
                        Map.of("oldest", floor));
            }
        }
    }

    private void subscribe(Watcher w, long from) {
        synchronized (lock) {
            if (from < history.floor()) {
                // Trimmed between the check and the connection: say so in the stream, then end it.
                w.connection.send("{\"code\":\"compacted\",\"oldest\":" + history.floor() + "}", "error", null, null);
                w.connection.shutdown();
                return;
            }
            List<KvChange> missed = history.after(from);
            watchers.add(w);
            w.connection.addCloseTask(closed -> {
                synchronized (lock) {
                    watchers.remove(w);
                }
            });
            send(w, missed);
        }
    }

    /** Queues the changes {@code w} watches; the last of each entry carries the entry's index as its id. */
    private void send(Watcher w, List<KvChange> changes) {
        List<KvChange> matching = new ArrayList<>();
        for (KvChange c : changes) {
            if (c.key().startsWith(w.prefix) && w.rules.mayRead(c.key())) {
                matching.add(c);
            }
        }
        for (int i = 0; i < matching.size(); i++) {
            KvChange c = matching.get(i);
            boolean lastOfEntry = i + 1 == matching.size() || matching.get(i + 1).index() != c.index();
            String event = json(c);
            int queued = w.pending.incrementAndGet();
            long queuedBytes = w.pendingBytes.addAndGet(event.length());
            if (queued > MAX_PENDING || queuedBytes > MAX_PENDING_BYTES) {
                log.warn("watcher cut off: it fell behind by {} events, {} bytes (a client that stopped reading) prefix={}",
                        queued, queuedBytes, w.prefix);
                watchers.remove(w);
                w.connection.shutdown();
                return;
            }
            w.connection.send(event, null, lastOfEntry ? Long.toString(c.index()) : null,
                    new ServerSentEventConnection.EventCallback() {
                        @Override
                        public void done(ServerSentEventConnection connection, String data, String event, String id) {
                            sent(data);
                        }

                        @Override
                        public void failed(ServerSentEventConnection connection, String data, String event, String id,
                                           java.io.IOException e) {
                            sent(data);
                        }

                        private void sent(String data) {
                            w.pending.decrementAndGet();
                            w.pendingBytes.addAndGet(-data.length());
                        }
                    });
        }
    }

    private static String json(KvChange c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("op", c.deleted() ? "delete" : "put");
        m.put("key", c.key());
        if (!c.deleted()) {
            m.put("value", Base64.getEncoder().encodeToString(c.value()));
        }
        m.put("modifyIndex", c.deleted() ? c.index() : c.modifyIndex());
        try {
            return Responses.JSON.writeValueAsString(m);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
