package dev.skiff.api;

import dev.skiff.kv.CoordinationCodec;
import dev.skiff.kv.CoordinationCommand;
import dev.skiff.kv.Session;
import dev.skiff.raft.Raft;
import dev.skiff.raft.RaftState;
import dev.skiff.kv.KvStateMachine;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's session TTL timers (Consul's): the state machine reads no clock, so the leader
 * decides when a session expired and commits its invalidation through Raft. Timers live only in
 * the leader's memory; a new leader starts every session's timer afresh, as Consul does, so a
 * leader change extends sessions rather than expiring them early. A session expires after
 * twice its TTL without a renewal (Consul's multiplier: the TTL is a lower bound).
 */
final class SessionTimers implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SessionTimers.class);
    private static final long TICK_MILLIS = 200;
    static final int TTL_MULTIPLIER = 2;

    private final Raft raft;
    private final KvStateMachine kv;
    private final Duration timeout;
    private final Map<String, Long> deadlines = new ConcurrentHashMap<>();
    private final Set<String> expiring = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "session-timers");
        t.setDaemon(true);
        return t;
    });

    SessionTimers(Raft raft, KvStateMachine kv, Duration timeout) {
        this.raft = raft;
        this.kv = kv;
        this.timeout = timeout;
        ticker.scheduleWithFixedDelay(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Restarts a session's timer (a renewal). Only meaningful on the leader. */
    void renew(Session session) {
        if (session.ttlMillis() > 0) {
            deadlines.put(session.id(), System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(session.ttlMillis() * TTL_MULTIPLIER));
        }
    }

    private void tick() {
        try {
            if (raft.state() != RaftState.LEADER) {
                deadlines.clear(); // a later leadership starts every timer afresh
                return;
            }
            long now = System.nanoTime();
            Set<String> live = new HashSet<>();
            for (Session s : kv.state().sessions()) {
                live.add(s.id());
                if (s.ttlMillis() == 0) {
                    continue;
                }
                Long deadline = deadlines.computeIfAbsent(s.id(),
                        id -> now + TimeUnit.MILLISECONDS.toNanos(s.ttlMillis() * TTL_MULTIPLIER));
                if (now - deadline >= 0 && expiring.add(s.id())) {
                    log.info("session expired, invalidating session={} name={} ttlMillis={}", s.id(), s.name(), s.ttlMillis());
                    raft.apply(CoordinationCodec.encode(new CoordinationCommand.SessionDestroy(s.id(), System.currentTimeMillis())),
                            timeout).whenComplete((r, e) -> {
                                expiring.remove(s.id());
                                if (e != null) {
                                    log.warn("could not commit a session's expiry, retrying session={} error={}", s.id(), e.toString());
                                }
                            });
                }
            }
            deadlines.keySet().retainAll(live);
        } catch (RuntimeException e) {
            log.warn("session timer tick failed error={}", e.toString());
        }
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }
}
