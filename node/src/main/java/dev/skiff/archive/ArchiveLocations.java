package dev.skiff.archive;

import dev.skiff.storage.StorageContext;
import dev.skiff.storage.StorageProviders;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;

/** Opens the log archive at a {@code --log-archive} / {@code --restore-from} URI. Stateless. */
public final class ArchiveLocations {

    private ArchiveLocations() {
    }

    /**
     * {@code file:///dir} (a local directory) or a provider's URI ({@code s3://bucket/prefix}).
     *
     * @param flag the flag that gave the URI, named in errors
     */
    public static ArchiveObjects open(URI uri, StorageContext context, String flag) throws IOException {
        if ("file".equals(uri.getScheme())) {
            return new FileArchiveObjects(Path.of(uri.getPath()));
        }
        return StorageProviders.forUri(uri, flag).archiveObjects(uri, context);
    }
}
