package dev.skiff.tls;

/**
 * A node's TLS settings: its reloading material and whether the API port requires client
 * certificates ({@code --api-require-client-cert}). The raft port always requires them.
 *
 * @param material          the certificate, key and CA, reloaded when they change on disk
 * @param apiRequireClientCert whether API clients must present a certificate chaining to the CA
 */
public record NodeTls(ReloadingTls material, boolean apiRequireClientCert) {
}
