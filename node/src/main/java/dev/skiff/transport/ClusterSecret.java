package dev.skiff.transport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The shared secret that every request on the raft port must prove knowledge of.
 *
 * <p><b>On the wire.</b> The secret itself is never sent. Each request carries the header
 * {@value #HEADER}{@code : base64url(HMAC-SHA256(key = secret, "skiff raft v1"))}, a fixed
 * token derived from the secret, so a captured request does not reveal the secret (which an
 * operator may reuse elsewhere). The receiver compares the token in constant time
 * ({@link MessageDigest#isEqual}). The token is the same on every request: it authenticates
 * cluster members against stray or misconfigured clients, not against someone who can watch
 * the traffic. Keep the raft port on a private network.
 *
 * <p>Immutable and thread-safe. {@link #toString()} never shows the secret.
 */
public final class ClusterSecret {

    /** The request header that carries the token. */
    public static final String HEADER = "X-Skiff-Cluster-Secret";

    /** Ties the token to this protocol and version, so it is useless anywhere else. */
    private static final byte[] CONTEXT = "skiff raft v1".getBytes(StandardCharsets.UTF_8);

    private final byte[] token;
    private final String headerValue;

    private ClusterSecret(byte[] secret) {
        if (secret.length == 0) {
            throw new IllegalArgumentException("cluster secret must not be empty");
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            this.headerValue = Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(CONTEXT));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
        this.token = headerValue.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * A secret given as text (for example from {@code SKIFF_CLUSTER_SECRET}); surrounding
     * whitespace is ignored.
     *
     * @throws IllegalArgumentException if it is empty or blank
     */
    public static ClusterSecret of(String secret) {
        return new ClusterSecret(secret.strip().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A secret read from a file (for example {@code --cluster-secret-file}); a trailing newline
     * and surrounding whitespace are ignored.
     *
     * @throws IOException              if the file cannot be read
     * @throws IllegalArgumentException if the file holds only whitespace
     */
    public static ClusterSecret fromFile(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        if (text.isBlank()) {
            throw new IllegalArgumentException("cluster secret file " + file + " is empty");
        }
        return of(text);
    }

    /** The value to send in {@link #HEADER}. */
    public String headerValue() {
        return headerValue;
    }

    /** True if {@code presented} (a {@link #HEADER} value, or null when absent) proves the secret. */
    public boolean matches(String presented) {
        if (presented == null) {
            return false;
        }
        return MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public String toString() {
        return "ClusterSecret[redacted]";
    }
}
