package dev.skiff.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The shared secret of the raft port, and the handshake that proves knowledge of it without
 * ever sending anything that works a second time.
 *
 * <p><b>Handshake, once per connection</b> (header {@value #HEADER}, path
 * {@value RaftRpcHandler#AUTH_PATH}):
 * <ol>
 *   <li>The dialling node sends {@code hello CN}: a fresh 32-byte random nonce, nothing else.</li>
 *   <li>The listener answers {@code challenge SN SP}: its own fresh nonce and its proof
 *       {@code SP = HMAC(secret, "skiff raft v2 listener" ‖ CN ‖ SN)}. The dialler checks SP
 *       before it sends anything derived from the secret: an address that does not hold the
 *       secret (say a member added at an attacker's address) gets a random nonce and then
 *       the connection is closed.</li>
 *   <li>The dialler sends {@code prove CP} with {@code CP = HMAC(secret, "skiff raft v2 dialler" ‖ CN ‖ SN)},
 *       on the same connection; the listener checks it and marks the connection authenticated.</li>
 * </ol>
 * Both sides then derive a session key {@code K = HMAC(secret, "skiff raft v2 session" ‖ CN ‖ SN)}.
 *
 * <p><b>Per request.</b> Every request on an authenticated connection carries
 * {@code n MAC} with {@code MAC = HMAC(K, n ‖ method ‖ path ‖ body)} (for a snapshot, the body
 * part is its InstallSnapshot header), where {@code n} counts the connection's requests from 1
 * and the listener accepts only the next one.
 *
 * <p><b>Why nothing can be replayed</b>, and why no clock or nonce cache is needed:
 * <ul>
 *   <li>On the same connection, a captured request's counter is already used.</li>
 *   <li>On another connection (or after either node restarted: nonces come from
 *       {@link SecureRandom} and sessions live only in memory), the listener picked a new SN,
 *       so the session key differs and the captured MAC does not verify. A captured
 *       {@code prove} is bound to the old SN, which the new connection never issued.</li>
 *   <li>The listener's proof cannot stand in for a dialler's (different labels), and both
 *       proofs cover the dialler's fresh nonce, so a listener cannot be used as an oracle to
 *       log in elsewhere.</li>
 * </ul>
 * Freshness comes from the listener's nonce instead of timestamps, so clock skew between
 * nodes does not matter. What this mode does not give is confidentiality, or protection from
 * someone who sits in the path of a connection and relays it: use TLS for that.
 *
 * <p><b>Cost.</b> One extra round trip per new connection, then one HMAC-SHA256 over each
 * request's bytes on either side (hardware-accelerated; a small fraction of the cost of
 * reading the bytes off the socket) and a counter compare: no shared cache, no lock.
 *
 * <p>Immutable and thread-safe; {@link Session} is not. {@link #toString()} never shows the secret.
 */
public final class ClusterSecret {

    /** The request and response header of the handshake and of every authenticated request. */
    public static final String HEADER = "X-Skiff-Auth";
    /** Length of each side's nonce. */
    public static final int NONCE_BYTES = 32;
    /** Length of a MAC (HMAC-SHA256), as a stream frame carries it. */
    public static final int MAC_BYTES = 32;

    private static final byte[] LISTENER = label("skiff raft v2 listener");
    private static final byte[] DIALLER = label("skiff raft v2 dialler");
    private static final byte[] SESSION = label("skiff raft v2 session");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();

    private final SecretKeySpec key;

    private ClusterSecret(byte[] secret) {
        if (secret.length == 0) {
            throw new IllegalArgumentException("cluster secret must not be empty");
        }
        this.key = new SecretKeySpec(secret, "HmacSHA256");
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

    /** A fresh random nonce. */
    public static byte[] newNonce() {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        return nonce;
    }

    /** The listener's proof for the dialler's nonce {@code cn} and its own {@code sn}. */
    public byte[] listenerProof(byte[] cn, byte[] sn) {
        return hmac(key, LISTENER, cn, sn);
    }

    /** The dialler's proof, sent only after the listener's proof checked out. */
    public byte[] diallerProof(byte[] cn, byte[] sn) {
        return hmac(key, DIALLER, cn, sn);
    }

    /** The per-request authenticator of the connection whose handshake used {@code cn}, {@code sn}. */
    public Session session(byte[] cn, byte[] sn) {
        return new Session(new SecretKeySpec(hmac(key, SESSION, cn, sn), "HmacSHA256"));
    }

    /** Whether {@code presented} equals {@code expected}, in constant time; false for null. */
    public static boolean same(byte[] expected, byte[] presented) {
        return presented != null && MessageDigest.isEqual(expected, presented);
    }

    /** Base64url without padding, as on the wire. */
    public static String encode(byte[] bytes) {
        return B64.encodeToString(bytes);
    }

    /** The inverse of {@link #encode}; null if {@code text} is not base64url. */
    public static byte[] decode(String text) {
        try {
            return B64D.decode(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return "ClusterSecret[redacted]";
    }

    private static byte[] label(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] hmac(SecretKeySpec key, byte[]... parts) {
        Mac mac = newMac(key);
        for (byte[] part : parts) {
            mac.update(part);
        }
        return mac.doFinal();
    }

    private static Mac newMac(SecretKeySpec key) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }

    /**
     * The per-request MACs of one authenticated connection. Not thread-safe: a connection
     * carries one request at a time, so its owner (the sender, or the listener's connection)
     * uses it from one thread at a time.
     */
    public static final class Session {

        private final Mac mac;
        private final ByteBuffer counterBytes = ByteBuffer.allocate(Long.BYTES);
        private long lastCounter;

        private Session(SecretKeySpec sessionKey) {
            this.mac = newMac(sessionKey);
        }

        /** The next request's counter (dialler side). */
        public long nextCounter() {
            return ++lastCounter;
        }

        /** Whether {@code counter} is the one the listener expects next. */
        public boolean isNext(long counter) {
            return counter == lastCounter + 1;
        }

        /** Marks {@code counter} used (listener side, after its MAC checked out). */
        public void accept(long counter) {
            lastCounter = counter;
        }

        /** {@code HMAC(K, counter ‖ method ‖ path ‖ body[offset, offset+length))}. */
        public byte[] mac(long counter, String method, String path, byte[] body, int offset, int length) {
            counterBytes.clear();
            counterBytes.putLong(counter);
            mac.update(counterBytes.array());
            mac.update(method.getBytes(StandardCharsets.US_ASCII));
            mac.update((byte) ' ');
            mac.update(path.getBytes(StandardCharsets.US_ASCII));
            mac.update((byte) '\n');
            mac.update(body, offset, length);
            return mac.doFinal();
        }

        /** The header value for a request: {@code counter MAC}. */
        public String header(long counter, String method, String path, byte[] body, int offset, int length) {
            return counter + " " + encode(mac(counter, method, path, body, offset, length));
        }

        @Override
        public String toString() {
            return "Session[redacted]";
        }
    }
}
