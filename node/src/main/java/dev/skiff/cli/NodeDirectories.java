package dev.skiff.cli;

import dev.skiff.wal.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The directories a node writes to ({@code --data-dir}, a {@code file://} {@code --snapshots}
 * or {@code --discovery}), made ready before any store opens them: created {@code 0700} when
 * missing, and refused at start, with the flag, the cause and the fix, when they cannot hold
 * the node's files (a file, a kernel file system, no write permission, a read-only disk).
 */
final class NodeDirectories {

    private static final Logger log = LoggerFactory.getLogger(NodeDirectories.class);
    /** Kernel file systems that look like directories but cannot hold files. */
    private static final List<Path> VIRTUAL_ROOTS = List.of(Path.of("/proc"), Path.of("/sys"));
    private static final Set<PosixFilePermission> GROUP_OR_OTHER = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    /** How many too-open paths the warning names before it only counts. */
    private static final int NAMED_IN_WARNING = 3;

    private NodeDirectories() {
    }

    /**
     * Creates {@code dir} ({@code 0700}, with its missing parents) or checks that the existing
     * one is a writable directory.
     *
     * @param flag the flag that named it, for the message
     * @throws IllegalArgumentException (exit 2) naming {@code flag}, the cause and the fix
     */
    static void prepare(Path dir, String flag) {
        Path absolute = dir.toAbsolutePath().normalize();
        String named = flag + " " + dir;
        for (Path root : VIRTUAL_ROOTS) {
            if (absolute.startsWith(root)) {
                throw new IllegalArgumentException(named + " is inside " + root + ", a virtual file system of the kernel "
                        + "that cannot hold files; give a directory on a disk, e.g. /var/lib/skiff/<id>");
            }
        }
        Path existing = absolute;
        while (existing != null && Files.notExists(existing)) {
            existing = existing.getParent();
        }
        if (existing != null && !Files.isDirectory(existing)) {
            throw new IllegalArgumentException(existing.equals(absolute)
                    ? named + " is a file, not a directory; give the path of a directory (it is created if missing)"
                    : named + " cannot be created: " + existing + " is a file, not a directory; give a path under a directory");
        }
        try {
            PrivateFiles.createDirectories(absolute);
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException(named + " cannot be created: permission denied on " + e.getFile() + " for user "
                    + user() + "; create it and make it writable by that user, or give another " + flag);
        } catch (FileSystemException e) {
            throw new IllegalArgumentException(named + " cannot be created: " + reason(e) + "; give another " + flag);
        } catch (IOException e) {
            throw new IllegalArgumentException(named + " cannot be created: " + e + "; give another " + flag);
        }
        // Root may create a directory where it cannot write (a read-only mount), and a plain user
        // may own none of an existing one: only writing a file tells.
        try {
            Path probe = Files.createTempFile(absolute, ".write-check", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            String why = e instanceof AccessDeniedException ? "permission denied"
                    : e instanceof FileSystemException fse && fse.getReason() != null ? fse.getReason() : e.toString();
            throw new IllegalArgumentException(named + " is not writable by user " + user() + " (" + why + "); make it "
                    + "writable by that user (chown/chmod, or chattr -i if it is immutable), or give another " + flag);
        }
    }

    /**
     * Logs one warning when {@code dir} or anything in it can be read or entered by users
     * other than its owner (a data directory from before files were created private, or one
     * made by hand), naming a few such paths and the command that fixes them.
     */
    static void warnIfOpenToOthers(Path dir, String flag) {
        if (!PrivateFiles.isPosix(dir)) {
            return;
        }
        List<String> open = new ArrayList<>();
        int[] count = {0};
        try (Stream<Path> all = Files.walk(dir)) {
            all.forEach(p -> {
                try {
                    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
                    if (mode.stream().anyMatch(GROUP_OR_OTHER::contains)) {
                        count[0]++;
                        if (open.size() < NAMED_IN_WARNING) {
                            open.add(p + " (" + PosixFilePermissions.toString(mode) + ")");
                        }
                    }
                } catch (IOException e) {
                    // Gone while walking (a segment renamed, a snapshot reaped): nothing to warn about.
                }
            });
        } catch (IOException | UncheckedIOException e) {
            log.warn("could not check the permissions under {} {}: {}", flag, dir, e.toString());
            return;
        }
        if (count[0] > 0) {
            log.warn("{} {} is open to other local users: {} path(s) readable or enterable by group or others, e.g. {}; "
                    + "they hold every key and value: fix with chmod -R go-rwx {}", flag, dir, count[0], String.join(", ", open), dir);
        }
    }

    private static String reason(FileSystemException e) {
        String reason = e.getReason();
        return (reason == null ? e.getClass().getSimpleName() : reason) + (e.getFile() == null ? "" : " (" + e.getFile() + ")");
    }

    private static String user() {
        return System.getProperty("user.name", "?");
    }
}
