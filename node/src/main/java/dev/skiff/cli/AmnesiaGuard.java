package dev.skiff.cli;

import dev.skiff.raft.StableStore;
import dev.skiff.wal.PrivateFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks that a node's data dir and its remote stable record belong together.
 *
 * <p>With a remote stable store ({@code --stable dynamodb://…}) the term and vote outlive the
 * machine; the log does not. A node started on an empty data dir whose remote record shows a
 * term or a vote was a member before and has forgotten entries it acknowledged. It used to be
 * refused (voting as its old self, it could elect a candidate that lacks committed entries);
 * since logs have incarnations (issue #11) it starts: its new, empty log has a new incarnation,
 * which no vote or commit counts until the leader has staged it and it has caught up, and it
 * keeps its term and vote, so it cannot vote twice in a term either. What is still refused is
 * a data dir paired with another record (two machines with one {@code --id}), and a data dir
 * with a log whose record is gone or empty (its term and vote lost: it could vote twice).
 *
 * <p>Mechanism: the stable record and the data dir share a random id. A node with an empty
 * record takes a new id: first in the record, then in {@code <data-dir>/raft/stable-record-id}
 * (written durably), so a crash between the two leaves a record with an id and no term, which
 * the next start simply stamps again. Later starts require both ids to match; a data dir
 * started against another record, or a record deleted under a data dir with a log, is refused
 * too.
 */
final class AmnesiaGuard {

    private static final Logger log = LoggerFactory.getLogger(AmnesiaGuard.class);

    /** The stable store key holding the record's id. */
    static final String RECORD_ID_KEY = "SkiffDataDirId";
    /** The file in {@code <data-dir>/raft} holding the same id. */
    static final String MARKER_FILE = "stable-record-id";

    private AmnesiaGuard() {
    }

    /**
     * Checks (and on a first start, stamps) the pairing of the data dir and the stable record.
     *
     * @param hasLocalState whether the data dir holds a log or a snapshot
     * @throws AmnesiaException if the node must not start as {@code nodeId}
     */
    static void check(StableStore stable, Path dataDir, String nodeId, boolean hasLocalState) throws IOException {
        Path marker = dataDir.resolve("raft").resolve(MARKER_FILE);
        Optional<String> local = readMarker(marker);
        Optional<String> remote = stable.get(RECORD_ID_KEY).map(b -> new String(b, StandardCharsets.UTF_8));
        long term = stable.getLong(StableStore.CURRENT_TERM, 0);
        String vote = stable.get(StableStore.LAST_VOTE_CANDIDATE).map(b -> new String(b, StandardCharsets.UTF_8)).orElse("");
        boolean recordUsed = term > 0 || !vote.isEmpty();
        if (local.isPresent() && remote.isPresent() && local.get().equals(remote.get())) {
            return;
        }
        if (local.isEmpty() && recordUsed && !hasLocalState) {
            log.warn("node lost its log: its stable record has term={}{} but the data dir is new; starting with a new log "
                    + "incarnation, which the leader re-adds as a staging member and promotes once caught up id={} dataDir={}",
                    term, vote.isEmpty() ? "" : " vote=" + vote, nodeId, dataDir.toAbsolutePath());
        }
        if (local.isPresent() && remote.isPresent()) {
            throw new AmnesiaException("node " + nodeId + ": the data dir " + dataDir.toAbsolutePath() + " was created with stable "
                    + "record " + local.get() + " but " + stable + " is record " + remote.get() + ": two data dirs use --id "
                    + nodeId + " (a copied disk, or a second machine). Run one node per id; if this data dir is stale, delete it.");
        }
        if (local.isPresent() && (recordUsed || hasLocalState)) {
            throw new AmnesiaException("node " + nodeId + " has Raft state in " + dataDir.toAbsolutePath() + " but its stable record ("
                    + stable + ") is gone: without its term and vote it could vote twice in a term. Remove it from the cluster "
                    + "(DELETE /v1/cluster/members/" + nodeId + "), delete " + dataDir.toAbsolutePath() + ", and start it again.");
        }
        if (local.isEmpty() && hasLocalState && recordUsed) {
            throw new AmnesiaException("node " + nodeId + " has Raft state in " + dataDir.toAbsolutePath() + " but no "
                    + marker + " naming the stable record it belongs to, while " + stable + " shows term " + term
                    + ": was the data dir copied from another node, or the file deleted? Run one node per id; to bring this "
                    + "one back, move " + dataDir.toAbsolutePath() + " aside and start it again with the same flags (it rejoins "
                    + "with a new log and catches up).");
        }
        if (local.isEmpty() && hasLocalState) {
            throw new AmnesiaException("node " + nodeId + " has Raft state in " + dataDir.toAbsolutePath() + " but an empty stable "
                    + "record (" + stable + "): was --stable changed for an existing node? Its term and vote are not in the "
                    + "record, so it could vote twice in a term. Go back to the previous --stable, or remove the node from the "
                    + "cluster, delete its data dir, and start it again.");
        }
        String id = UUID.randomUUID().toString();
        stable.set(RECORD_ID_KEY, id.getBytes(StandardCharsets.UTF_8));
        writeMarker(marker, id);
    }

    private static Optional<String> readMarker(Path marker) throws IOException {
        try {
            String s = Files.readString(marker, StandardCharsets.UTF_8).strip();
            return s.isEmpty() ? Optional.empty() : Optional.of(s);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    private static void writeMarker(Path marker, String id) throws IOException {
        PrivateFiles.createDirectories(marker.getParent());
        Path temp = marker.resolveSibling(MARKER_FILE + ".tmp");
        PrivateFiles.writeString(temp, id + "\n");
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(temp, marker, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(marker.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    /** The node must not start under its id; the message says why and what to do. */
    static final class AmnesiaException extends IOException {
        private static final long serialVersionUID = 1L;

        AmnesiaException(String message) {
            super(message);
        }
    }
}
