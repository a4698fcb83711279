package dev.skiff.storage.s3;

import dev.skiff.storage.StorageUris;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Where and how snapshots are stored in S3, parsed from
 * {@code s3://bucket/prefix?option=value&...}:
 *
 * <pre>
 *   pathStyle=true            path-style addressing (S3-compatible stores, emulators); also
 *                             SKIFF_S3_PATH_STYLE=true in the environment
 *   sse=AES256                server-side encryption with S3-managed keys
 *   sse=aws:kms[&amp;kmsKeyId=ID] server-side encryption with KMS (the bucket's default key
 *                             without kmsKeyId)
 *   partSizeMiB=16            multipart upload part size, 5..5120 MiB
 * </pre>
 *
 * <p>Immutable and thread-safe.
 *
 * @param bucket       the bucket
 * @param prefix       the key prefix, without leading or trailing slash; may be empty
 * @param pathStyle    whether to use path-style addressing
 * @param sse          the server-side encryption: {@code ""} (the bucket's default),
 *                     {@code AES256} or {@code aws:kms}
 * @param kmsKeyId     the KMS key with {@code sse=aws:kms}, or {@code ""}
 * @param partSize     the multipart part size in bytes
 */
public record S3Location(String bucket, String prefix, boolean pathStyle, String sse, String kmsKeyId,
                         int partSize) {

    /** Smallest part S3 accepts (except for the last part of an upload). */
    public static final int MIN_PART_SIZE = 5 << 20;
    /** Largest part S3 accepts. */
    public static final long MAX_PART_SIZE = 5L << 30;
    /** Default part size: 16 MiB, a few parts in memory at most per snapshot being written. */
    public static final int DEFAULT_PART_SIZE = 16 << 20;
    /** Environment variable that turns on path-style addressing for every s3:// URI. */
    public static final String PATH_STYLE_ENV = "SKIFF_S3_PATH_STYLE";

    private static final Set<String> OPTIONS = Set.of("pathStyle", "sse", "kmsKeyId", "partSizeMiB");

    /** @throws IllegalArgumentException on an invalid bucket, option or part size */
    public S3Location {
        if (bucket == null || !bucket.matches("[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]")) {
            throw new IllegalArgumentException("invalid S3 bucket name '" + bucket + "'");
        }
        prefix = prefix == null ? "" : stripSlashes(prefix);
        sse = sse == null ? "" : sse;
        kmsKeyId = kmsKeyId == null ? "" : kmsKeyId;
        if (!sse.isEmpty() && !sse.equals("AES256") && !sse.equals("aws:kms")) {
            throw new IllegalArgumentException("sse must be AES256 or aws:kms, got '" + sse + "'");
        }
        if (!kmsKeyId.isEmpty() && !sse.equals("aws:kms")) {
            throw new IllegalArgumentException("kmsKeyId needs sse=aws:kms");
        }
        if (partSize < MIN_PART_SIZE) {
            throw new IllegalArgumentException("S3 part size must be at least 5 MiB, got " + partSize + " bytes");
        }
    }

    /**
     * Parses an {@code s3://} URI; path style is also turned on by {@value #PATH_STYLE_ENV}.
     *
     * @param env reads an environment variable (null when unset): {@code System::getenv}
     * @throws IllegalArgumentException naming the URI and what is wrong with it
     */
    public static S3Location parse(URI uri, UnaryOperator<String> env) {
        if (!"s3".equals(uri.getScheme())) {
            throw new IllegalArgumentException("not an s3:// URI: " + uri);
        }
        String bucket = uri.getAuthority();
        if (bucket == null || bucket.isEmpty()) {
            throw new IllegalArgumentException("s3 URI has no bucket: " + uri + " (expected s3://bucket/prefix)");
        }
        Map<String, String> query = StorageUris.query(uri);
        for (String key : query.keySet()) {
            if (!OPTIONS.contains(key)) {
                throw new IllegalArgumentException("unknown option '" + key + "' in " + uri + " (known: " + OPTIONS + ")");
            }
        }
        boolean pathStyle = flag(query.get("pathStyle"))
                || Boolean.parseBoolean(Optional.ofNullable(env.apply(PATH_STYLE_ENV)).orElse("false"));
        int partSize = DEFAULT_PART_SIZE;
        String partSizeMiB = query.get("partSizeMiB");
        if (partSizeMiB != null) {
            try {
                long bytes = Long.parseLong(partSizeMiB) << 20;
                if (bytes < MIN_PART_SIZE || bytes > Math.min(MAX_PART_SIZE, Integer.MAX_VALUE - 8)) {
                    throw new NumberFormatException();
                }
                partSize = (int) bytes;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("partSizeMiB in " + uri + " must be a whole number of MiB from 5 to 2047, got '"
                        + partSizeMiB + "'");
            }
        }
        try {
            return new S3Location(bucket, uri.getPath(), pathStyle, query.get("sse"), query.get("kmsKeyId"), partSize);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(uri + ": " + e.getMessage(), e);
        }
    }

    /** This location with another part size (tests use the 5 MiB minimum). */
    public S3Location withPartSize(int bytes) {
        return new S3Location(bucket, prefix, pathStyle, sse, kmsKeyId, bytes);
    }

    /** This location with another prefix. */
    public S3Location withPrefix(String newPrefix) {
        return new S3Location(bucket, newPrefix, pathStyle, sse, kmsKeyId, partSize);
    }

    /** The object key for {@code name} under the prefix. */
    String key(String name) {
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    /** The prefix to list with: the prefix and a slash, or empty. */
    String listPrefix() {
        return prefix.isEmpty() ? "" : prefix + "/";
    }

    /** {@code s3://bucket/key}, for messages. */
    String describe(String key) {
        return "s3://" + bucket + "/" + key;
    }

    @Override
    public String toString() {
        return "s3://" + bucket + "/" + prefix;
    }

    /** A boolean option: absent is false, a bare {@code ?pathStyle} true. */
    private static boolean flag(String value) {
        return value != null && (value.isEmpty() || Boolean.parseBoolean(value));
    }

    private static String stripSlashes(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && s.charAt(from) == '/') {
            from++;
        }
        while (to > from && s.charAt(to - 1) == '/') {
            to--;
        }
        return s.substring(from, to);
    }
}
