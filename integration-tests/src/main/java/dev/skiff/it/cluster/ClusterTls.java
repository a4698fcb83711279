package dev.skiff.it.cluster;

import dev.skiff.client.ClientTls;
import dev.skiff.tls.DevCertificates;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * A test cluster's development CA ({@link DevCertificates}, what {@code skiff tls init} uses)
 * and the files it issued: one certificate per node for 127.0.0.1, and a client certificate
 * for the test's HTTPS clients.
 */
public final class ClusterTls {

    private final Path dir;
    private final DevCertificates ca;

    ClusterTls(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
            this.ca = DevCertificates.newCa("Skiff test CA");
            ca.writeCa(caFile(), dir.resolve("ca-key.pem"));
            ca.issue("test client", List.of(), false, dir.resolve("client.pem"), dir.resolve("client-key.pem"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The CA certificate, what {@code --tls-ca-file} and {@code --ca-file} take. */
    public Path caFile() {
        return dir.resolve("ca.pem");
    }

    /** The certificate file of {@code node}. */
    public Path certFile(String node) {
        return dir.resolve(node + ".pem");
    }

    /** The key file of {@code node}. */
    public Path keyFile(String node) {
        return dir.resolve(node + "-key.pem");
    }

    /** Issues (or issues again: rotation) {@code node}'s certificate for 127.0.0.1 and returns its TLS flags. */
    public List<String> issue(String node) {
        try {
            ca.issue(node, List.of("127.0.0.1", "localhost"), true, certFile(node), keyFile(node));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return List.of("--tls-cert-file", certFile(node).toString(), "--tls-key-file", keyFile(node).toString(),
                "--tls-ca-file", caFile().toString());
    }

    /** A context trusting this CA and presenting the client certificate. */
    public SSLContext clientContext() {
        return ClientTls.fromPem(caFile(), dir.resolve("client.pem"), dir.resolve("client-key.pem"));
    }

    /** An HTTP/1.1 client for the nodes' HTTPS APIs. */
    public HttpClient httpClient() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2))
                .proxy(HttpClient.Builder.NO_PROXY).sslContext(clientContext()).build();
    }

    /** The client's flags for {@code skiff} client commands. */
    public List<String> clientFlags() {
        return List.of("--ca-file", caFile().toString(), "--cert-file", dir.resolve("client.pem").toString(),
                "--key-file", dir.resolve("client-key.pem").toString());
    }

}
