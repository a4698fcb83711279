package dev.skiff.storage;

import java.net.URI;
import java.util.ServiceLoader;

/** Finds the {@link StorageProvider} for a URI's scheme on the class path. */
public final class StorageProviders {

    private StorageProviders() {
    }

    /**
     * The provider for {@code uri}'s scheme.
     *
     * @param flag the command-line flag the URI came from, for the error message
     * @throws IllegalArgumentException if no provider on the class path serves the scheme
     */
    public static StorageProvider forUri(URI uri, String flag) {
        String scheme = uri.getScheme();
        if (scheme == null) {
            throw new IllegalArgumentException(flag + " needs a URI with a scheme (file://, s3://, dynamodb://), got '" + uri + "'");
        }
        for (StorageProvider p : ServiceLoader.load(StorageProvider.class)) {
            if (p.schemes().contains(scheme)) {
                return p;
            }
        }
        throw new IllegalArgumentException(flag + " " + uri + ": no storage provider for '" + scheme
                + "://' on the class path (the " + (scheme.equals("s3") ? "storage-s3" : "storage-dynamo")
                + " module is missing from lib/)");
    }
}
