package dev.skiff.cli;

import dev.skiff.wal.PrivateFiles;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Marks a {@code --restore-from} in progress in the data directory, so that a restore that was
 * interrupted (a crash between writing the snapshot, the term and the log) is refused at the next
 * start instead of leaving a node that runs with a log starting after a snapshot it does not
 * have. Written durably before the first store is touched, removed after the last.
 */
final class RestoreMarker {

    static final String FILE = "restore-from.incomplete";

    private RestoreMarker() {
    }

    /** Refuses to start on a data directory an interrupted restore left behind. */
    static void refuseIfInterrupted(Path dataDir) throws IOException {
        Path marker = dataDir.resolve(FILE);
        if (Files.exists(marker)) {
            String from = Files.readString(marker, StandardCharsets.UTF_8).strip();
            throw new IOException("an earlier --restore-from " + from + " into " + dataDir.toAbsolutePath()
                    + " was interrupted (" + marker.getFileName() + " is still there), so the data directory holds part of "
                    + "a restore. Delete the data directory " + dataDir.toAbsolutePath() + " and start the node again with "
                    + "--restore-from " + from + "; nothing else was changed.");
        }
    }

    static void begin(Path dataDir, URI from) throws IOException {
        Path marker = dataDir.resolve(FILE);
        PrivateFiles.writeString(marker, from.toString() + "\n");
        try (FileChannel c = FileChannel.open(marker, StandardOpenOption.WRITE)) {
            c.force(true);
        }
        forceDirectory(dataDir);
    }

    static void finish(Path dataDir) throws IOException {
        Files.deleteIfExists(dataDir.resolve(FILE));
        forceDirectory(dataDir);
    }

    private static void forceDirectory(Path dir) throws IOException {
        try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
            c.force(true);
        }
    }
}
