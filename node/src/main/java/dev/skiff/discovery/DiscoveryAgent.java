package dev.skiff.discovery;

import dev.skiff.raft.Configuration;
import dev.skiff.raft.Observation;
import dev.skiff.raft.Raft;
import dev.skiff.raft.RaftState;
import dev.skiff.raft.Server;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's life in the {@link Discovery} table: it registers the node and renews the
 * registration every {@code interval} (the heartbeat), keeps the {@link AddressBookTransport}
 * pointed at where the live members are now, and, while the node leads, brings the Raft
 * configuration's addresses up to date with the table: a member that re-registered on new
 * addresses is re-added under the same id with them (a single-server configuration change
 * that replaces the server's entry, committed by a quorum like any other), and publishes
 * itself as the leader ({@link PublishedLeader}) once per term.
 *
 * <p>Also decides, for a node without state, whether it bootstraps the cluster or joins it
 * ({@link #shouldBootstrap}).
 *
 * <p>Threading: one virtual thread runs the heartbeat; {@link #liveMembers()} may be called
 * from any thread. Failures of the table are logged and retried on the next beat: the
 * cluster keeps running on what it last knew.
 */
public final class DiscoveryAgent implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DiscoveryAgent.class);
    /** Default heartbeat: a tenth of the default TTL, so a registration survives several missed beats. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(3);
    /** How long the leader waits for an address update to commit before trying again on a later beat. */
    private static final Duration CHANGE_TIMEOUT = Duration.ofSeconds(5);

    private final Discovery discovery;
    private final Member self;
    private final AddressBookTransport addressBook;
    private final Duration interval;
    private volatile List<Member> live = List.of();
    private volatile Raft raft;
    private volatile boolean closed;
    private volatile boolean tableHealthy = true;
    /** The last term this node published itself as leader in (heartbeat thread only). */
    private long publishedTerm;
    private Thread beat;
    /** Released when this node becomes leader: the heartbeat then runs without waiting out its interval. */
    private final Semaphore beatNow = new Semaphore(0);

    /**
     * @param discovery   the table (owned: closed by {@link #close})
     * @param self        this node's registration (its heartbeat field is ignored)
     * @param addressBook the transport to keep routed, or null
     * @param interval    time between heartbeats
     */
    public DiscoveryAgent(Discovery discovery, Member self, AddressBookTransport addressBook, Duration interval) {
        this.discovery = discovery;
        this.self = self;
        this.addressBook = addressBook;
        this.interval = interval;
    }

    /**
     * Registers this node and reads the table once, so that the address book is current before
     * Raft starts its first election.
     *
     * @throws IOException if the table cannot be reached
     */
    public void registerAndRefresh() throws IOException {
        discovery.register(self);
        refresh();
    }

    /**
     * Starts the heartbeat; the agent reconciles {@code raft}'s configuration while it leads. A
     * node that becomes leader beats at once rather than at the next interval, so that the table
     * names a new cluster's leader within moments of the bootstrap ({@link #shouldBootstrap}
     * relies on it).
     */
    public synchronized void start(Raft raft) {
        this.raft = raft;
        raft.addObserver(o -> {
            if (o instanceof Observation.StateChanged changed && changed.state() == RaftState.LEADER) {
                beatNow.release();
            }
        });
        beat = Thread.ofVirtual().name("discovery-" + self.id()).start(this::run);
    }

    private void run() {
        while (!closed) {
            try {
                discovery.register(self);
                refresh();
                if (!tableHealthy) {
                    log.info("discovery table reachable again ({})", discovery);
                    tableHealthy = true;
                }
                reconcile();
                publishLeadership();
            } catch (IOException | RuntimeException e) {
                if (closed) {
                    return; // interrupted by close()
                }
                if (tableHealthy) {
                    log.warn("discovery heartbeat failed ({}); retrying every {} ms: {}", discovery, interval.toMillis(), e.toString());
                    tableHealthy = false;
                }
            }
            try {
                if (beatNow.tryAcquire(interval.toMillis(), TimeUnit.MILLISECONDS)) {
                    beatNow.drainPermits();
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void refresh() throws IOException {
        List<Member> members = discovery.members();
        live = List.copyOf(members);
        if (addressBook != null) {
            Map<String, String> byId = new HashMap<>();
            for (Member m : members) {
                if (!m.id().equals(self.id())) {
                    byId.put(m.id(), m.raftAddress());
                }
            }
            addressBook.update(byId);
        }
    }

    /** On the leader: re-adds, one per beat, a configured member whose registration shows new addresses. */
    private void reconcile() {
        Raft r = raft;
        if (r == null || r.state() != RaftState.LEADER) {
            return;
        }
        Configuration config = r.configuration();
        for (Member m : live) {
            Optional<Server> configured = config.server(m.id());
            if (configured.isEmpty()) {
                continue; // not a member (yet): joining is the node's own business
            }
            Server s = configured.get();
            if (s.address().equals(m.raftAddress()) && m.apiAddress().equals(s.apiAddress())) {
                continue;
            }
            log.info("member {} re-registered at raft={} api={} (configuration has raft={} api={}): updating the configuration",
                    m.id(), m.raftAddress(), m.apiAddress(), s.address(), s.apiAddress());
            try {
                var change = s.isVoter()
                        ? r.addVoter(m.id(), m.raftAddress(), m.apiAddress(), 0, CHANGE_TIMEOUT)
                        : r.addNonvoter(m.id(), m.raftAddress(), m.apiAddress(), 0, CHANGE_TIMEOUT);
                long index = change.get(CHANGE_TIMEOUT.toMillis() + 1_000, TimeUnit.MILLISECONDS);
                log.info("configuration updated for {} at index {}", m.id(), index);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                log.info("address update for {} not done yet (retried next beat): {}", m.id(), e.toString());
            }
            return; // one membership change at a time (thesis §4.1)
        }
    }

    /**
     * On the leader: publishes this node as the leader once per term, so that tools find the
     * leader's API address in the table. A refusal means a later term is already published:
     * this node is no longer the leader, whatever it still believes.
     */
    private void publishLeadership() throws IOException {
        Raft r = raft;
        if (r == null) {
            return;
        }
        var stats = r.stats();
        if (stats.state() != RaftState.LEADER || stats.term() == publishedTerm) {
            return;
        }
        boolean published = discovery.publishLeader(new PublishedLeader(self.id(), self.raftAddress(), self.apiAddress(),
                stats.term(), java.time.Instant.now()));
        publishedTerm = stats.term();
        if (published) {
            log.info("published {} as the leader of term {} in {}", self.id(), stats.term(), discovery);
        } else {
            log.info("did not publish {} as the leader of term {}: {} names a leader of a later term", self.id(),
                    stats.term(), discovery);
        }
    }

    /** The members that were live at the last heartbeat (this node included). */
    public List<Member> liveMembers() {
        return live;
    }

    /** Reads the table now (for the join loop). */
    public List<Member> refreshedMembers() throws IOException {
        refresh();
        return live;
    }

    /**
     * Whether this node, which has no Raft state, starts the cluster: true if it takes the
     * bootstrap lock now. A node that held the lock before has either never bootstrapped (it
     * stopped between taking the lock and bootstrapping: the bootstrap waits some seconds for
     * signs of an existing cluster first) or bootstrapped and then lost its data directory. The
     * table tells the two apart: a cluster that ever had a leader published it. With a published
     * leader and other nodes registered, a cluster may exist, and the node joins it instead of
     * starting a second one; without one, no cluster was ever led, the other registered nodes
     * are waiting for this one to bootstrap (they join only the lock holder's cluster), and it
     * bootstraps.
     */
    public boolean shouldBootstrap() throws IOException {
        Optional<String> holder = discovery.bootstrapLockHolder();
        if (holder.isEmpty()) {
            String winner = discovery.acquireBootstrapLock(self.id());
            log.info("bootstrap lock {} node {} (holder {})", winner.equals(self.id()) ? "taken by" : "not taken by",
                    self.id(), winner);
            return winner.equals(self.id());
        }
        if (!holder.get().equals(self.id())) {
            return false;
        }
        boolean others = discovery.members().stream().anyMatch(m -> !m.id().equals(self.id()));
        if (!others) {
            return true;
        }
        Optional<PublishedLeader> led = discovery.publishedLeader();
        if (led.isPresent()) {
            log.warn("node {} holds the bootstrap lock from an earlier start but has no state, other nodes are registered, "
                    + "and {} names {} the leader of term {}: it joins them instead of bootstrapping a second cluster",
                    self.id(), discovery, led.get().id(), led.get().term());
            return false;
        }
        log.warn("node {} holds the bootstrap lock from an earlier start and has no state; {} names no leader, so no "
                + "cluster was ever led (it stopped before bootstrapping): it bootstraps now and the registered nodes join it",
                self.id(), discovery);
        return true;
    }

    /** Whether the last heartbeat reached the table. */
    public boolean tableHealthy() {
        return tableHealthy;
    }

    /**
     * Stops the heartbeat and closes the table.
     *
     * @param deregister also remove this node's registration (a clean shutdown)
     */
    public void close(boolean deregister) {
        Thread t;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            t = beat;
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            if (deregister) {
                discovery.deregister(self.id());
                log.info("deregistered {} from {}", self.id(), discovery);
            }
        } catch (IOException e) {
            log.warn("could not deregister {} from {} (its registration expires on its own): {}", self.id(), discovery, e.toString());
        }
        try {
            discovery.close();
        } catch (IOException e) {
            log.warn("closing {} failed: {}", discovery, e.toString());
        }
    }

    @Override
    public void close() {
        close(true);
    }
}
