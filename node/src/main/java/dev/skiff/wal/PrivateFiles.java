package dev.skiff.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Creates the stores' directories and files readable by their owner only (directories
 * {@code 0700}, files {@code 0600}, API.md §7): they hold every key and value, and no other
 * local user should read them. The modes are given at creation, so there is no moment when a
 * file is more open; on a file system without POSIX permissions they are left to it.
 */
public final class PrivateFiles {

    /** {@code rwx------}. */
    public static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwx------");
    /** {@code rw-------}. */
    public static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");

    private PrivateFiles() {
    }

    /** Whether {@code path}'s file system has POSIX permissions. */
    public static boolean isPosix(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /** Creates {@code dir} and its missing parents {@code 0700}; an existing directory is left as it is. */
    public static Path createDirectories(Path dir) throws IOException {
        return Files.createDirectories(dir, directoryAttributes(dir));
    }

    /** Creates the directory {@code dir} {@code 0700}; its parent must exist. */
    static Path createDirectory(Path dir) throws IOException {
        return Files.createDirectory(dir, directoryAttributes(dir));
    }

    /** Creates the new, empty file {@code file} {@code 0600}. */
    public static Path createFile(Path file) throws IOException {
        return Files.createFile(file, fileAttributes(file));
    }

    /** Writes {@code content} to {@code file}, replacing it, as a {@code 0600} file. */
    public static void writeString(Path file, String content) throws IOException {
        Files.deleteIfExists(file);
        createFile(file);
        Files.writeString(file, content, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Opens {@code file} as {@link FileChannel#open} does; a file it creates is {@code 0600}. */
    static FileChannel open(Path file, Set<? extends OpenOption> options) throws IOException {
        return FileChannel.open(file, options, fileAttributes(file));
    }

    private static FileAttribute<?>[] directoryAttributes(Path dir) {
        return isPosix(dir) ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(DIRECTORY_MODE)} : new FileAttribute<?>[0];
    }

    private static FileAttribute<?>[] fileAttributes(Path file) {
        return isPosix(file) ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE_MODE)} : new FileAttribute<?>[0];
    }
}
