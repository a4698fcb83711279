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
        String module = switch (scheme) {
            case "s3" -> "storage-s3";
            case "dynamodb" -> "storage-dynamo";
            default -> null;
        };
        throw new IllegalArgumentException(module != null
                ? flag + " " + uri + ": the " + module + " module is missing from lib/ (it serves " + scheme + "://; "
                        + "reinstall the distribution, or add the module's jar and its dependencies to the class path)"
                : flag + " " + uri + ": unknown scheme '" + scheme + "://'; the storage schemes are s3:// (storage-s3) "
                        + "and dynamodb:// (storage-dynamo), besides file:// where the flag takes it");
    }
}
