package dev.skiff.discovery;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;

/**
 * A {@link Discovery} table in a directory shared by the nodes ({@code --discovery file:///dir}),
 * for local clusters and tests.
 *
 * <pre>
 * Layout:
 *   dir/member-&lt;id&gt;.properties   one per registered node: id, raftAddress, apiAddress,
 *                                  heartbeat and expiresAt (epoch milliseconds)
 *   dir/bootstrap-lock             the holder's id
 *   dir/leader.properties          the published leader: id, raftAddress, apiAddress, term,
 *                                  published (epoch milliseconds); written under an exclusive
 *                                  lock on dir/leader.lock, so that a later term is never
 *                                  replaced by an earlier one
 * </pre>
 *
 * <p>A registration is written to a temporary file and renamed over the old one, so a reader
 * sees the old or the new registration, never a mix. The bootstrap lock is a hard link from a
 * temporary file that already holds the id: creating a link fails if the name exists, so
 * exactly one contender wins, and the lock never exists without its holder's id.
 *
 * <p>Thread-safe and multi-process safe on a local file system (no locks are held in memory).
 * Expired registrations are ignored by {@link #members()} and left on disk until their node
 * registers again or deregisters.
 */
public final class FileDiscovery implements Discovery {

    private static final String MEMBER_PREFIX = "member-";
    private static final String MEMBER_SUFFIX = ".properties";
    private static final String LOCK = "bootstrap-lock";
    private static final String LEADER = "leader.properties";
    private static final String LEADER_LOCK = "leader.lock";

    private final Path dir;
    private final Duration ttl;
    private final Clock clock;

    /**
     * A table in {@code dir} (created if missing).
     *
     * @param ttl   how long a registration lives without a new heartbeat
     * @param clock the time source for heartbeats and expiry (a fixed or stepped clock in tests)
     */
    public FileDiscovery(Path dir, Duration ttl, Clock clock) throws IOException {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("discovery TTL must be positive, got " + ttl);
        }
        // Owner-only like the data directory (API.md §7): ids and addresses of the cluster.
        this.dir = dev.skiff.wal.PrivateFiles.createDirectories(dir);
        this.ttl = ttl;
        this.clock = clock;
    }

    /**
     * The table named by a {@code file:///dir} URI, with the {@link #DEFAULT_TTL}.
     *
     * @throws IllegalArgumentException naming {@code --discovery} if the URI is not a file URI
     */
    public static FileDiscovery open(URI uri) throws IOException {
        if (!"file".equals(uri.getScheme())) {
            throw new IllegalArgumentException("--discovery " + uri + " is not a file:/// URI");
        }
        Path dir;
        try {
            dir = Path.of(new URI("file", null, uri.getPath(), null));
        } catch (java.net.URISyntaxException | IllegalArgumentException e) {
            throw new IllegalArgumentException("--discovery " + uri + " is not a usable directory URI: " + e.getMessage());
        }
        return new FileDiscovery(dir, DEFAULT_TTL, Clock.systemUTC());
    }

    @Override
    public void register(Member self) throws IOException {
        Instant now = clock.instant();
        Properties p = new Properties();
        p.setProperty("id", self.id());
        p.setProperty("raftAddress", self.raftAddress());
        p.setProperty("apiAddress", self.apiAddress());
        p.setProperty("heartbeat", Long.toString(now.toEpochMilli()));
        p.setProperty("expiresAt", Long.toString(now.plus(ttl).toEpochMilli()));
        StringWriter text = new StringWriter();
        p.store(text, null);
        Path temp = writeTemp(text.toString());
        Files.move(temp, memberFile(self.id()), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public List<Member> members() throws IOException {
        long now = clock.millis();
        List<Member> live = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, MEMBER_PREFIX + "*" + MEMBER_SUFFIX)) {
            for (Path f : files) {
                Properties p = new Properties();
                try {
                    p.load(new StringReader(Files.readString(f, StandardCharsets.UTF_8)));
                } catch (NoSuchFileException e) {
                    continue; // deregistered while we listed
                }
                Member m = parse(f, p);
                long expiresAt = Long.parseLong(p.getProperty("expiresAt"));
                if (expiresAt > now) {
                    live.add(m);
                }
            }
        }
        return live;
    }

    private static Member parse(Path f, Properties p) throws IOException {
        try {
            Long.parseLong(p.getProperty("expiresAt"));
            return new Member(p.getProperty("id"), p.getProperty("raftAddress"), p.getProperty("apiAddress"),
                    Instant.ofEpochMilli(Long.parseLong(p.getProperty("heartbeat"))));
        } catch (NullPointerException | NumberFormatException e) {
            throw new IOException("discovery registration " + f + " is damaged (" + e + "); delete it, its node re-registers");
        }
    }

    @Override
    public void deregister(String nodeId) throws IOException {
        Files.deleteIfExists(memberFile(nodeId));
    }

    @Override
    public String acquireBootstrapLock(String nodeId) throws IOException {
        Path temp = writeTemp(nodeId);
        try {
            Files.createLink(dir.resolve(LOCK), temp);
            return nodeId;
        } catch (FileAlreadyExistsException e) {
            return bootstrapLockHolder().orElseThrow(() -> new IOException("bootstrap lock " + dir.resolve(LOCK) + " vanished"));
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public Optional<String> bootstrapLockHolder() throws IOException {
        try {
            return Optional.of(Files.readString(dir.resolve(LOCK), StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public boolean publishLeader(PublishedLeader leader) throws IOException {
        try (java.nio.channels.FileChannel lockFile = java.nio.channels.FileChannel.open(dir.resolve(LEADER_LOCK),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
             java.nio.channels.FileLock ignored = lockFile.lock()) {
            Optional<PublishedLeader> current = publishedLeader();
            if (current.isPresent() && current.get().term() > leader.term()) {
                return false;
            }
            Properties p = new Properties();
            p.setProperty("id", leader.id());
            p.setProperty("raftAddress", leader.raftAddress());
            p.setProperty("apiAddress", leader.apiAddress());
            p.setProperty("term", Long.toString(leader.term()));
            p.setProperty("published", Long.toString(leader.published().toEpochMilli()));
            StringWriter text = new StringWriter();
            p.store(text, null);
            Files.move(writeTemp(text.toString()), dir.resolve(LEADER), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            return true;
        }
    }

    @Override
    public Optional<PublishedLeader> publishedLeader() throws IOException {
        Path f = dir.resolve(LEADER);
        Properties p = new Properties();
        try {
            p.load(new StringReader(Files.readString(f, StandardCharsets.UTF_8)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            return Optional.of(new PublishedLeader(p.getProperty("id"), p.getProperty("raftAddress"),
                    p.getProperty("apiAddress"), Long.parseLong(p.getProperty("term")),
                    Instant.ofEpochMilli(Long.parseLong(p.getProperty("published")))));
        } catch (NullPointerException | IllegalArgumentException e) {
            throw new IOException("discovery leader record " + f + " is damaged (" + e + "); delete it, the leader "
                    + "publishes itself again within a heartbeat");
        }
    }

    /** Nothing to release. */
    @Override
    public void close() {
    }

    private Path memberFile(String nodeId) {
        // Ids are arbitrary UTF-8: keep them out of the file name's syntax.
        String safe = java.util.HexFormat.of().formatHex(nodeId.getBytes(StandardCharsets.UTF_8));
        return dir.resolve(MEMBER_PREFIX + safe + MEMBER_SUFFIX);
    }

    private Path writeTemp(String content) throws IOException {
        Path temp = dir.resolve(".tmp-" + UUID.randomUUID());
        dev.skiff.wal.PrivateFiles.writeString(temp, content); // 0600 from its creation
        return temp;
    }

    @Override
    public String toString() {
        return "file discovery " + dir;
    }
}
