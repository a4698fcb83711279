/**
 * TLS material for both ports: PEM certificates and keys read with BouncyCastle
 * ({@link dev.skiff.tls.PemFiles}), an {@link javax.net.ssl.SSLContext} whose key and trust
 * managers pick up rotated files without a restart ({@link dev.skiff.tls.ReloadingTls}), and
 * the development CA of {@code skiff tls init} ({@link dev.skiff.tls.DevCertificates}).
 */
package dev.skiff.tls;
