package dev.skiff.api;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * How this node reaches another node's API (forwarding to the leader, readiness and catch-up
 * probes, joining): {@code http}, or {@code https} with the node's own TLS context, which
 * trusts the cluster's CA, checks the peer's certificate against the address (SAN) and
 * presents this node's certificate, so forwarding also works with
 * {@code --api-require-client-cert}.
 *
 * @param tls the node's TLS context, or empty for plain HTTP
 */
public record PeerApi(Optional<SSLContext> tls) {

    /** Plain HTTP, as without TLS flags. */
    public static final PeerApi PLAIN = new PeerApi(Optional.empty());

    /** Normalises null to empty. */
    public PeerApi {
        tls = tls == null ? Optional.empty() : tls;
    }

    /** {@code http} or {@code https}. */
    public String scheme() {
        return tls.isPresent() ? "https" : "http";
    }

    /** The URI of {@code pathAndQuery} on the node whose API is at {@code apiAddress} ({@code host:port}). */
    public URI uri(String apiAddress, String pathAndQuery) {
        return URI.create(scheme() + "://" + apiAddress + pathAndQuery);
    }

    /** An HTTP/1.1 client builder without proxy, with this TLS context. */
    public HttpClient.Builder client(Duration connectTimeout) {
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connectTimeout)
                .proxy(HttpClient.Builder.NO_PROXY);
        tls.ifPresent(b::sslContext);
        return b;
    }
}
