package dev.skiff.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** File-system steps the stores need to make directory changes (create, rename, delete) durable. */
final class Durable {

    private Durable() {
    }

    /**
     * Forces the directory entry changes of {@code dir} (a created, renamed or deleted file) to
     * disk. A rename is atomic but not durable until its directory is synced.
     */
    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
