package dev.skiff.wal;

import dev.skiff.raft.Incarnations;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * The {@code incarnation} file of a log directory: a random id written once, when the directory
 * is first opened, and kept for as long as the directory is (see
 * {@link dev.skiff.raft.LogStore#incarnation()}); bootstrap turns it into its founded form
 * ({@link Incarnations}). A wiped or replaced data directory therefore comes back with a new id,
 * which tells the leader that the node's earlier acknowledgements and votes are void.
 */
final class LogIncarnation {

    static final String FILE = "incarnation";

    private LogIncarnation() {
    }

    static boolean exists(Path dir) {
        return Files.exists(dir.resolve(FILE));
    }

    /**
     * Reads the directory's incarnation, creating it (durably: written, synced, renamed into
     * place, directory synced) if the directory has none yet; in its founded form if
     * {@code founded} (a log written before incarnations existed).
     *
     * @throws dev.skiff.raft.CorruptLogException if the file exists but does not hold an id
     */
    static String loadOrCreate(Path dir, boolean founded) throws IOException {
        Path file = dir.resolve(FILE);
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8).strip();
            String id = text.startsWith(Incarnations.FOUNDED_PREFIX) ? text.substring(Incarnations.FOUNDED_PREFIX.length()) : text;
            try {
                UUID.fromString(id);
                return text;
            } catch (IllegalArgumentException e) {
                throw Corruption.at(file, 0, "the log's incarnation file does not hold an id");
            }
        } catch (NoSuchFileException e) {
            String id = UUID.randomUUID().toString();
            return replace(dir, founded ? Incarnations.founded(id) : id);
        }
    }

    /** Writes {@code incarnation} as the directory's, durably; returns it. */
    static String replace(Path dir, String incarnation) throws IOException {
        Path temp = dir.resolve(FILE + ".tmp");
        PrivateFiles.writeString(temp, incarnation + "\n");
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(temp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Durable.syncDirectory(dir);
        return incarnation;
    }
}
