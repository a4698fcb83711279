package dev.skiff.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Set;

/**
 * Opens the file channels through which the write-ahead log reads and writes its segment
 * files. The seam exists so that tests can wrap the channels and inject faults (a disk that
 * fills up after N bytes, a failing fsync) at the level where real failures happen.
 *
 * <p>Implementations are thread-safe.
 */
@FunctionalInterface
public interface ChannelFactory {

    /** Opens the plain file channels of the JDK; a file they create is readable by its owner only. */
    ChannelFactory DEFAULT = PrivateFiles::open;

    /** Opens {@code path} with {@code options}, as {@link FileChannel#open(Path, Set, java.nio.file.attribute.FileAttribute[])}. */
    FileChannel open(Path path, Set<? extends OpenOption> options) throws IOException;
}
