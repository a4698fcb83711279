package dev.skiff.tls;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reads PEM files: certificates (one or a bundle) and a private key in any of the usual
 * encodings (PKCS#8 {@code PRIVATE KEY}, PKCS#1 {@code RSA PRIVATE KEY}, SEC1
 * {@code EC PRIVATE KEY}). Errors name the file and what was expected; a key's bytes never
 * appear in them.
 */
public final class PemFiles {

    private PemFiles() {
    }

    /**
     * Every certificate in {@code file}, in order.
     *
     * @throws IOException if the file cannot be read, or holds no certificate or something else
     */
    public static List<X509Certificate> certificates(Path file) throws IOException {
        List<X509Certificate> certs = new ArrayList<>();
        try (Reader reader = open(file); PEMParser pem = new PEMParser(reader)) {
            for (Object o; (o = pem.readObject()) != null; ) {
                if (!(o instanceof X509CertificateHolder holder)) {
                    throw new IOException(file + " holds a " + o.getClass().getSimpleName()
                            + " where only PEM certificates (BEGIN CERTIFICATE) are expected");
                }
                certs.add(new JcaX509CertificateConverter().getCertificate(holder));
            }
        } catch (CertificateException | RuntimeException e) {
            throw new IOException(file + " is not a readable PEM certificate file: " + e.getMessage(), e);
        }
        if (certs.isEmpty()) {
            throw new IOException(file + " holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)");
        }
        return certs;
    }

    /**
     * The private key in {@code file}.
     *
     * @throws IOException if the file cannot be read, is encrypted, or holds no key
     */
    public static PrivateKey privateKey(Path file) throws IOException {
        try (Reader reader = open(file); PEMParser pem = new PEMParser(reader)) {
            for (Object o; (o = pem.readObject()) != null; ) {
                JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
                switch (o) {
                    case PEMKeyPair pair -> {
                        return converter.getPrivateKey(pair.getPrivateKeyInfo());
                    }
                    case PrivateKeyInfo info -> {
                        return converter.getPrivateKey(info);
                    }
                    case PEMEncryptedKeyPair ignored -> throw encrypted(file);
                    case PKCS8EncryptedPrivateKeyInfo ignored -> throw encrypted(file);
                    default -> {
                        // EC PARAMETERS and the like come before the key: skip them.
                    }
                }
            }
        } catch (RuntimeException e) {
            throw new IOException(file + " is not a readable PEM private key: " + e.getClass().getSimpleName(), e);
        }
        throw new IOException(file + " holds no PEM private key (expected -----BEGIN PRIVATE KEY-----, "
                + "-----BEGIN EC PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)");
    }

    private static Reader open(Path file) throws IOException {
        try {
            return Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException(file + " does not exist", e);
        } catch (java.nio.file.AccessDeniedException e) {
            throw new IOException(file + " is not readable by this user (check its permissions)", e);
        }
    }

    private static IOException encrypted(Path file) {
        return new IOException(file + " holds an encrypted private key; give an unencrypted one "
                + "(for example: openssl pkey -in " + file + " -out node.key) and protect it with file permissions (0600)");
    }
}
