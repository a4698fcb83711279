package dev.skiff.tls;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The PEM files of a node's TLS: {@code --tls-cert-file}, {@code --tls-key-file},
 * {@code --tls-ca-file}.
 *
 * @param certFile the node's certificate (then any intermediates)
 * @param keyFile  its private key, unencrypted (protect it with 0600)
 * @param caFile   the CA certificates that peers' and clients' certificates must chain to
 */
public record TlsFiles(Path certFile, Path keyFile, Path caFile) {

    /** Requires all three. */
    public TlsFiles {
        Objects.requireNonNull(certFile, "certFile");
        Objects.requireNonNull(keyFile, "keyFile");
        Objects.requireNonNull(caFile, "caFile");
    }

    List<Path> all() {
        return List.of(certFile, keyFile, caFile);
    }
}
