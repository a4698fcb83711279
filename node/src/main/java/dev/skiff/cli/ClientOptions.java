package dev.skiff.cli;

import dev.skiff.client.ClientTls;
import dev.skiff.client.SkiffClient;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The nodes a client command talks to and how patiently: {@code --endpoints} (or the older
 * {@code --addr}), timeouts, and {@code --verbose} to see retries. The ACL token, when the
 * cluster needs one, comes from {@code SKIFF_TOKEN} (never a flag: flags show in {@code ps}).
 */
final class ClientOptions {

    static final String DEFAULT_ADDR = "127.0.0.1:8001";

    @Option(names = "--endpoints", split = ",", paramLabel = "HOST:PORT",
            description = "API addresses of nodes, comma-separated; tried in turn when one is down or has no leader "
                    + "(env SKIFF_ENDPOINTS). Default: --addr.")
    List<String> endpoints;

    @Option(names = "--addr", paramLabel = "HOST:PORT",
            description = "API address of one node (default " + DEFAULT_ADDR + "; env SKIFF_ADDR).")
    String addr;

    @Option(names = "--timeout", defaultValue = "15s", paramLabel = "DURATION",
            description = "How long one request may wait for its answer (default ${DEFAULT-VALUE}; env SKIFF_TIMEOUT).")
    String timeout;

    @Option(names = "--retry-for", defaultValue = "10s", paramLabel = "DURATION",
            description = "How long to keep retrying other endpoints and 503 answers (Retry-After) before giving up "
                    + "(default ${DEFAULT-VALUE}; 0s tries each endpoint once; env SKIFF_RETRY_FOR).")
    String retryFor;

    @Option(names = "--token", paramLabel = "SECRET",
            description = "ACL token to send (env SKIFF_TOKEN, the better place: a flag shows in ps and the shell history).")
    String token;

    @Option(names = "--token-file", paramLabel = "PATH",
            description = "File holding the ACL token (env SKIFF_TOKEN_FILE); wins over --token.")
    java.nio.file.Path tokenFile;

    @Option(names = {"-v", "--verbose"}, description = "Print each retry on stderr.")
    boolean verbose;

    @Option(names = "--ca-file", paramLabel = "PEM", description = "CA certificates to trust: talk HTTPS to nodes started "
            + "with --tls-* flags (env SKIFF_CA_FILE).")
    Path caFile;

    @Option(names = "--cert-file", paramLabel = "PEM", description = "Client certificate, for nodes started with "
            + "--api-require-client-cert; with --key-file (env SKIFF_CERT_FILE).")
    Path certFile;

    @Option(names = "--key-file", paramLabel = "PEM", description = "The PKCS#8 key of --cert-file (env SKIFF_KEY_FILE).")
    Path keyFile;

    /** The TLS context from --ca-file (or SKIFF_CA_FILE) and the client certificate, if any. */
    private SSLContext tls() {
        Path ca = caFile != null ? caFile : envPath("SKIFF_CA_FILE");
        Path cert = certFile != null ? certFile : envPath("SKIFF_CERT_FILE");
        Path key = keyFile != null ? keyFile : envPath("SKIFF_KEY_FILE");
        if (ca == null) {
            if (cert != null || key != null) {
                throw new IllegalArgumentException("--cert-file/--key-file need --ca-file (or SKIFF_CA_FILE): the CA the "
                        + "nodes' certificates chain to");
            }
            return null;
        }
        try {
            return ClientTls.fromPem(ca, cert, key);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--ca-file/--cert-file/--key-file: " + e.getMessage(), e);
        }
    }

    private static Path envPath(String name) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? null : Path.of(value.strip());
    }

    /** The endpoints to use: {@code --endpoints}, else {@code --addr}, else the default. */
    List<String> endpointList() {
        if (endpoints != null && !endpoints.isEmpty()) {
            List<String> list = endpoints.stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
            if (list.isEmpty()) {
                throw new IllegalArgumentException("--endpoints is empty; give host:port[,host:port...]");
            }
            return list;
        }
        return List.of(addr == null || addr.isBlank() ? DEFAULT_ADDR : addr.trim());
    }

    /** The ACL token: --token-file, else --token (or SKIFF_TOKEN), else none. Never printed. */
    String token() {
        if (tokenFile != null) {
            try {
                String t = java.nio.file.Files.readString(tokenFile, java.nio.charset.StandardCharsets.UTF_8).strip();
                if (t.isEmpty()) {
                    throw new IllegalArgumentException("--token-file " + tokenFile + " is empty; put the token's secret in it");
                }
                return t;
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("--token-file " + tokenFile + " cannot be read (" + e.getClass().getSimpleName()
                        + "); give a readable file holding the token's secret");
            }
        }
        return token == null || token.isBlank() ? null : token.strip();
    }

    /** A client with these options. */
    SkiffClient client() {
        List<String> list = endpointList();
        Duration requestTimeout = Durations.parse(timeout, "--timeout");
        Duration retry = retryFor.trim().equals("0") ? Duration.ZERO : Durations.parse(retryFor, "--retry-for");
        SkiffClient.Builder b = SkiffClient.builder().requestTimeout(requestTimeout).retryBudget(retry)
                .token(token());
        SSLContext tls = tls();
        if (tls != null) {
            b.sslContext(tls);
        }
        try {
            b.endpoints(list);
            if (verbose) {
                b.retryListener((method, path, endpoint, reason, delay) -> System.err.println(
                        "skiff: retrying " + method + " " + path + " in " + delay.toMillis() + " ms: " + reason));
            }
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException((endpoints != null ? "--endpoints: " : "--addr: ") + e.getMessage(), e);
        }
    }
}
