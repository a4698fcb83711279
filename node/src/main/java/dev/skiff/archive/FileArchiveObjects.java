package dev.skiff.archive;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A log archive in a local directory ({@code --log-archive file:///dir}): for development, tests
 * and archives on a mounted file system. Objects are files; a create is atomic (written aside,
 * then hard-linked into place, which fails if the name exists) and durable (fsync).
 */
public final class FileArchiveObjects implements ArchiveObjects {

    private final Path root;

    /** An archive under {@code root}, created if missing. */
    public FileArchiveObjects(Path root) throws IOException {
        this.root = Files.createDirectories(root);
    }

    @Override
    public boolean putIfAbsent(String key, byte[] data) throws IOException {
        Path target = resolve(key);
        Path temp = writeAside(target, data);
        try {
            Files.createLink(target, temp);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public void put(String key, byte[] data) throws IOException {
        Path target = resolve(key);
        Path temp = writeAside(target, data);
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Path writeAside(Path target, byte[] data) throws IOException {
        Files.createDirectories(target.getParent());
        Path temp = Files.createTempFile(target.getParent(), ".tmp-", "");
        try (var channel = java.nio.channels.FileChannel.open(temp, java.nio.file.StandardOpenOption.WRITE)) {
            channel.write(java.nio.ByteBuffer.wrap(data));
            channel.force(true);
        }
        return temp;
    }

    @Override
    public Optional<byte[]> get(String key) throws IOException {
        try {
            return Optional.of(Files.readAllBytes(resolve(key)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public List<String> list(String prefix, String startAfter) throws IOException {
        List<String> keys = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            files.filter(Files::isRegularFile).forEach(p -> {
                String key = root.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
                if (key.startsWith(prefix) && key.compareTo(startAfter) > 0 && !p.getFileName().toString().startsWith(".tmp-")) {
                    keys.add(key);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        keys.sort(null);
        return keys;
    }

    @Override
    public void delete(String key) throws IOException {
        Files.deleteIfExists(resolve(key));
    }

    @Override
    public boolean conditionalCreateHonoured() {
        return true;
    }

    @Override
    public String describe(String key) {
        return resolve(key).toUri().toString();
    }

    private Path resolve(String key) {
        Path p = root.resolve(key).normalize();
        if (!p.startsWith(root)) {
            throw new IllegalArgumentException("archive key " + key + " leaves the archive directory");
        }
        return p;
    }

    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return root.toUri().toString();
    }
}
