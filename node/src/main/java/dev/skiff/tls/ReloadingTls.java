package dev.skiff.tls;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's TLS material from three PEM files (its certificate chain, its private key, the CA
 * bundle peers must chain to) as an {@link SSLContext} that follows the files: when one of them
 * changes on disk (modification time or size), the next handshake uses the new material, with
 * no restart. Connections already open keep the material they were made with.
 *
 * <p>Why own key and trust managers: the JDK's are built once from a key store; these look up
 * the current {@link Material} on each call, checking the files at most once a second (a stat
 * of three files, off the data path: only handshakes ask). A reload that fails (a file half
 * written, a key that does not match the certificate) is logged and the old material kept, so
 * a rotation done in the wrong order does not take a node off the network; it is tried again
 * when the files change again.
 *
 * <p>The certificate is used both ways: as the server certificate of both ports, and as the
 * client certificate when this node dials a peer or forwards to the leader; so it needs the
 * {@code serverAuth} and {@code clientAuth} extended key usages ({@code skiff tls init} writes
 * them). Thread-safe.
 */
public final class ReloadingTls {

    private static final Logger log = LoggerFactory.getLogger(ReloadingTls.class);
    private static final long CHECK_INTERVAL_NANOS = 1_000_000_000L;
    private static final String ALIAS = "skiff-node";

    private final TlsFiles files;
    private final SSLContext context;
    private volatile Material material;
    private volatile List<Stamp> attempted;
    private volatile long lastCheckNanos;

    private ReloadingTls(TlsFiles files, Material initial) throws GeneralSecurityException {
        this.files = files;
        this.material = initial;
        this.attempted = initial.stamps();
        this.lastCheckNanos = System.nanoTime();
        this.context = SSLContext.getInstance("TLS");
        context.init(new KeyManager[] {new Keys()}, new TrustManager[] {new Trust()}, null);
    }

    /**
     * Loads the files and checks them: the key matches the certificate, and the certificate
     * chains to the CA.
     *
     * @throws IllegalArgumentException naming the file and the fix, when a file is unusable
     */
    public static ReloadingTls load(TlsFiles files) {
        try {
            Material m = Material.read(files);
            ReloadingTls tls = new ReloadingTls(files, m);
            log.info("tls material loaded cert={} subject=\"{}\" notAfter={} ca={} cas={}", files.certFile(),
                    m.chain()[0].getSubjectX500Principal().getName(), m.chain()[0].getNotAfter().toInstant(),
                    files.caFile(), m.caCount());
            return tls;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** The context to create TLS sockets, engines and listeners with. */
    public SSLContext context() {
        return context;
    }

    /** The files this material comes from. */
    public TlsFiles files() {
        return files;
    }

    /** The certificate in use now (after any reload). */
    public X509Certificate certificate() {
        return current().chain()[0];
    }

    private Material current() {
        long now = System.nanoTime();
        if (now - lastCheckNanos < CHECK_INTERVAL_NANOS) {
            return material;
        }
        synchronized (this) {
            if (now - lastCheckNanos < CHECK_INTERVAL_NANOS) {
                return material;
            }
            lastCheckNanos = now;
            List<Stamp> stamps = Stamp.of(files);
            if (stamps.equals(attempted)) {
                return material;
            }
            attempted = stamps;
            try {
                Material next = Material.read(files);
                material = next;
                log.info("tls material reloaded cert={} subject=\"{}\" notAfter={} cas={}", files.certFile(),
                        next.chain()[0].getSubjectX500Principal().getName(), next.chain()[0].getNotAfter().toInstant(),
                        next.caCount());
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                log.warn("tls files changed but cannot be used; keeping the previous certificate and CA until they change again: {}",
                        e.getMessage());
            }
            return material;
        }
    }

    /** A file's modification time and size: what says it changed. */
    private record Stamp(long modifiedMillis, long size) {
        static List<Stamp> of(TlsFiles files) {
            return files.all().stream().map(Stamp::of).toList();
        }

        static Stamp of(Path file) {
            try {
                return new Stamp(Files.getLastModifiedTime(file).toMillis(), Files.size(file));
            } catch (IOException e) {
                return new Stamp(-1, -1);
            }
        }
    }

    /** One consistent set: the key, its certificate chain and the trust manager of the CA bundle. */
    private record Material(PrivateKey key, X509Certificate[] chain, X509ExtendedTrustManager trust, int caCount,
                            List<Stamp> stamps) {

        static Material read(TlsFiles files) throws IOException, GeneralSecurityException {
            List<Stamp> stamps = Stamp.of(files);
            List<X509Certificate> chain = PemFiles.certificates(files.certFile());
            PrivateKey key = PemFiles.privateKey(files.keyFile());
            List<X509Certificate> cas = PemFiles.certificates(files.caFile());
            if (!KeyPairs.match(key, chain.getFirst().getPublicKey())) {
                throw new IOException("the private key in " + files.keyFile() + " does not belong to the certificate in "
                        + files.certFile() + "; give the key the certificate was issued for");
            }
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < cas.size(); i++) {
                store.setCertificateEntry("ca-" + i, cas.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(store);
            X509ExtendedTrustManager trust = (X509ExtendedTrustManager) Arrays.stream(tmf.getTrustManagers())
                    .filter(t -> t instanceof X509ExtendedTrustManager).findFirst()
                    .orElseThrow(() -> new GeneralSecurityException("the JDK has no X509 trust manager"));
            X509Certificate[] certs = chain.toArray(X509Certificate[]::new);
            try {
                trust.checkServerTrusted(certs, "UNKNOWN");
            } catch (CertificateException e) {
                throw new IOException("the certificate in " + files.certFile() + " does not chain to a CA in "
                        + files.caFile() + " (or is expired): " + e.getMessage()
                        + "; peers would refuse it. Give the CA that issued it, or a certificate that CA issued", e);
            }
            return new Material(key, certs, trust, cas.size(), stamps);
        }
    }

    private final class Keys extends X509ExtendedKeyManager {

        private Optional<String> alias(String keyType) {
            String algorithm = current().key().getAlgorithm();
            return keyType != null && (keyType.equals(algorithm) || keyType.startsWith(algorithm + "_"))
                    ? Optional.of(ALIAS) : Optional.empty();
        }

        private String alias(String[] keyTypes) {
            if (keyTypes == null) {
                return null;
            }
            for (String keyType : keyTypes) {
                if (alias(keyType).isPresent()) {
                    return ALIAS;
                }
            }
            return null;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return alias(keyType).map(a -> new String[] {a}).orElse(null);
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return alias(keyType);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return alias(keyType);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return getClientAliases(keyType, issuers);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return alias(keyType).orElse(null);
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return alias(keyType).orElse(null);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return ALIAS.equals(alias) ? material.chain().clone() : null;
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return ALIAS.equals(alias) ? material.key() : null;
        }
    }

    private final class Trust extends X509ExtendedTrustManager {

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            current().trust().checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            current().trust().checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            current().trust().checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            current().trust().checkServerTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            current().trust().checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            current().trust().checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return current().trust().getAcceptedIssuers();
        }
    }
}
