package dev.skiff.wal;

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
 * {@link dev.skiff.raft.LogStore#incarnation()}). A wiped or replaced data directory therefore
 * comes back with a new id, which tells the leader that the node's earlier acknowledgements and
 * votes are void.
 */
final class LogIncarnation {

    static final String FILE = "incarnation";

    private LogIncarnation() {
    }

    /**
     * Reads the directory's incarnation, creating it (durably: written, synced, renamed into
     * place, directory synced) if the directory has none yet.
     *
     * @throws dev.skiff.raft.CorruptLogException if the file exists but does not hold an id
     */
    static String loadOrCreate(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8).strip();
            try {
                return UUID.fromString(text).toString();
            } catch (IllegalArgumentException e) {
                throw Corruption.at(file, 0, "the log's incarnation file does not hold an id");
            }
        } catch (NoSuchFileException e) {
            String id = UUID.randomUUID().toString();
            Path temp = dir.resolve(FILE + ".tmp");
            PrivateFiles.writeString(temp, id + "\n");
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Durable.syncDirectory(dir);
            return id;
        }
    }
}
