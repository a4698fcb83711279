package dev.skiff.client;

import java.security.GeneralSecurityException;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * The SSLContext of a client with no {@code https} endpoint. The JDK's HTTP client builds the
 * default SSLContext (reading the CA store) when it is created, even for plain HTTP: a quarter
 * of a CLI command's start-up. This one trusts nothing, so it could never complete a handshake,
 * and reads no CA store.
 */
final class NoTls {

    private NoTls() {
    }

    static SSLContext context() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(new KeyManager[0], new TrustManager[0], null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot create an SSLContext", e);
        }
    }
}
