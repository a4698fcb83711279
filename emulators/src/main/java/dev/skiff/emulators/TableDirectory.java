package dev.skiff.emulators;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.OpenOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import kotlin.jvm.JvmClassMappingKt;
import org.http4k.connect.amazon.dynamodb.DynamoDbMoshi;
import org.http4k.connect.amazon.dynamodb.DynamoTable;
import org.http4k.connect.storage.Storage;

/**
 * The DynamoDB fake's tables, in memory and in a directory: one file per table
 * ({@code <url-encoded name>.json}, the fake's own JSON form of the table and its items),
 * rewritten whole on every change through a temporary file and an atomic rename, so a file is
 * always a complete table and a {@code kill -9} of the emulator loses no write that was
 * answered (the page cache outlives the process). There is no fsync: surviving a crash of the
 * machine is not an emulator's job, and an fsync under the emulator's one-request-at-a-time
 * lock would stall every client whenever the disk is busy (the nodes fsync their logs on the
 * same disk).
 * Every file is read back when the directory is opened. Where the file system has POSIX
 * permissions, a directory this creates is 0700 and the files are 0600 (the tables hold the
 * cluster's membership and votes, nobody else's business).
 *
 * <p>Rewriting a whole table per write suits the emulator's use (tables of tens of items);
 * it is not a database.
 *
 * <p>Thread-safe per call; the emulator applies one request at a time anyway.
 */
final class TableDirectory implements Storage<DynamoTable> {

    private static final String SUFFIX = ".json";
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final Set<OpenOption> WRITE = Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);

    private final Path dir;
    private final Map<String, DynamoTable> tables = new ConcurrentHashMap<>();

    private TableDirectory(Path dir) {
        this.dir = dir;
    }

    /**
     * Opens {@code dir} (creating it if missing) and reads every table in it.
     *
     * @throws IOException naming the file that cannot be read
     */
    static TableDirectory open(Path dir) throws IOException {
        if (POSIX) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } else {
            Files.createDirectories(dir);
        }
        TableDirectory d = new TableDirectory(dir);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(SUFFIX)).toList()) {
                String name = file.getFileName().toString();
                String key = URLDecoder.decode(name.substring(0, name.length() - SUFFIX.length()), StandardCharsets.UTF_8);
                try {
                    d.tables.put(key, DynamoDbMoshi.INSTANCE.asA(Files.readString(file, StandardCharsets.UTF_8),
                            JvmClassMappingKt.getKotlinClass(DynamoTable.class)));
                } catch (Exception e) { // Moshi's parse errors are IOExceptions Kotlin throws undeclared
                    throw new IOException("DynamoDB emulator: table file " + file + " cannot be read (" + e
                            + "); move it away to start without that table", e);
                }
            }
        }
        return d;
    }

    @Override
    public DynamoTable get(String key) {
        return tables.get(key);
    }

    @Override
    public void set(String key, DynamoTable table) {
        write(key, DynamoDbMoshi.INSTANCE.asFormatString(table));
        tables.put(key, table);
    }

    @Override
    public boolean remove(String key) {
        boolean existed = tables.remove(key) != null;
        try {
            Files.deleteIfExists(file(key));
        } catch (IOException e) {
            throw new UncheckedIOException("DynamoDB emulator: cannot delete " + file(key), e);
        }
        return existed;
    }

    @Override
    public void minusAssign(String key) {
        remove(key);
    }

    @Override
    public Set<String> keySet(String prefix) {
        Set<String> keys = new TreeSet<>();
        tables.keySet().stream().filter(k -> k.startsWith(prefix)).forEach(keys::add);
        return keys;
    }

    @Override
    public boolean removeAll(String prefix) {
        boolean any = false;
        for (String key : keySet(prefix)) {
            any |= remove(key);
        }
        return any;
    }

    private Path file(String key) {
        // Encoded: a table name cannot reach outside the directory.
        return dir.resolve(URLEncoder.encode(key, StandardCharsets.UTF_8) + SUFFIX);
    }

    private void write(String key, String json) {
        Path target = file(key);
        Path temp = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            try (FileChannel out = POSIX
                    ? FileChannel.open(temp, WRITE, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                    : FileChannel.open(temp, WRITE)) {
                ByteBuffer bytes = ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("DynamoDB emulator: cannot write table file " + target, e);
        }
    }

    @Override
    public String toString() {
        return "DynamoDB emulator tables in " + dir;
    }
}
