package loomframe.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * {@link SSLContext}s from PEM files as {@code openssl} writes them: a certificate chain
 * ({@code -----BEGIN CERTIFICATE-----}, the leaf first), an unencrypted PKCS#8 private key
 * ({@code -----BEGIN PRIVATE KEY-----}; RSA, EC or EdDSA), and CA certificates to trust.
 *
 * <p>Every problem is an {@link IllegalArgumentException} whose message names the flag and the
 * file and says what to do — a usage error, one line:
 * <pre>
 * --tls-key key.pem does not match the certificate in --tls-cert (key.pem is an EC key, the certificate for CN=localhost has an RSA public key)
 * --tls-key key.pem is encrypted (BEGIN ENCRYPTED PRIVATE KEY): give an unencrypted PKCS#8 key (openssl pkcs8 -topk8 -nocrypt -in key.pem -out plain.pem)
 * </pre>
 */
public final class TlsFiles {
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*(?:[A-Za-z-]+:[^\\n]*\\n\\s*)*([A-Za-z0-9+/=\\s]*?)-----END \\1-----");

    private TlsFiles() {}

    /** A server's context: its certificate chain and key; with {@code clientCa}, the CAs whose client certificates it accepts. */
    public static SSLContext serverContext(Path cert, Path key, Path clientCa) {
        return context(keyManagers(cert, key), clientCa == null ? null : trustManagers(clientCa, "--tls-client-ca"));
    }

    /**
     * A client's context: trusting {@code ca} (or the JDK's default trust store when null, or
     * anything at all when {@code insecure}), presenting {@code cert} and {@code key} when given.
     */
    public static SSLContext clientContext(Path ca, Path cert, Path key, boolean insecure) {
        TrustManager[] trust = insecure ? new TrustManager[] {new TrustAnything()} : ca == null ? null : trustManagers(ca, "--tls-ca");
        return context(cert == null ? null : keyManagers(cert, key), trust);
    }

    private static SSLContext context(KeyManager[] keys, TrustManager[] trust) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys, trust, new SecureRandom());
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK offers no TLS: " + e, e);
        }
    }

    /** Key managers presenting the chain in {@code cert} with the key in {@code key}, checked to belong together. */
    public static KeyManager[] keyManagers(Path cert, Path key) {
        List<X509Certificate> chain = certificates(cert, "--tls-cert");
        PrivateKey privateKey = privateKey(key);
        checkMatch(privateKey, chain.get(0), key);
        try {
            char[] password = new char[0];
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("key", privateKey, password, chain.toArray(new X509Certificate[0]));
            // SunX509 takes the key out of the store once, here. PKIX (NewSunX509) asks the store at every
            // handshake, and a PKCS12 store keeps its keys PBE-encrypted (PBKDF2, 10,000 rounds): more than half
            // of a TLS 1.3 handshake's server CPU went into decrypting the key again (JFR, jmh/run-tls.sh).
            KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
            kmf.init(store, password);
            return kmf.getKeyManagers();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("--tls-cert " + cert + " and --tls-key " + key + " cannot be used: " + e.getMessage(), e);
        }
    }

    /** Trust managers accepting certificates signed by the CAs in {@code file}. */
    public static TrustManager[] trustManagers(Path file, String flag) {
        List<X509Certificate> cas = certificates(file, flag);
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < cas.size(); i++) store.setCertificateEntry("ca-" + i, cas.get(i));
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(store);
            return tmf.getTrustManagers();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException(flag + " " + file + " cannot be used: " + e.getMessage(), e);
        }
    }

    /** Every certificate in a PEM file, in order. */
    public static List<X509Certificate> certificates(Path file, String flag) {
        String text = read(file, flag);
        List<X509Certificate> certs = new ArrayList<>();
        Matcher m = PEM.matcher(text);
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            while (m.find()) {
                if (!m.group(1).equals("CERTIFICATE")) continue;
                byte[] der = base64(m.group(2), flag, file);
                try {
                    certs.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
                } catch (CertificateException e) {
                    throw new IllegalArgumentException(flag + " " + file + ": certificate " + (certs.size() + 1) + " is not valid: " + e.getMessage(), e);
                }
            }
        } catch (CertificateException e) {
            throw new IllegalStateException("this JDK reads no X.509: " + e, e);
        }
        if (certs.isEmpty()) {
            throw new IllegalArgumentException(flag + " " + file + ": no certificate in it (expected PEM: -----BEGIN CERTIFICATE-----)");
        }
        return certs;
    }

    /** The unencrypted PKCS#8 private key in a PEM file. */
    public static PrivateKey privateKey(Path file) {
        String text = read(file, "--tls-key");
        String convert = " (openssl pkcs8 -topk8 -nocrypt -in " + file + " -out plain-key.pem)";
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            if (type.equals("ENCRYPTED PRIVATE KEY") || m.group().contains("ENCRYPTED")) {
                throw new IllegalArgumentException("--tls-key " + file + " is encrypted (BEGIN " + type
                        + "): give an unencrypted PKCS#8 key" + convert);
            }
            if (type.equals("RSA PRIVATE KEY") || type.equals("EC PRIVATE KEY")) {
                throw new IllegalArgumentException("--tls-key " + file + " is in the older " + (type.startsWith("RSA") ? "PKCS#1" : "SEC1")
                        + " format (BEGIN " + type + "): give a PKCS#8 key, BEGIN PRIVATE KEY" + convert);
            }
            if (!type.equals("PRIVATE KEY")) continue;
            var spec = new PKCS8EncodedKeySpec(base64(m.group(2), "--tls-key", file));
            for (String algorithm : new String[] {"RSA", "EC", "EdDSA", "RSASSA-PSS"}) {
                try {
                    return KeyFactory.getInstance(algorithm).generatePrivate(spec);
                } catch (GeneralSecurityException e) {
                    // not this algorithm: try the next
                }
            }
            throw new IllegalArgumentException("--tls-key " + file + ": not an RSA, EC or EdDSA PKCS#8 key this JDK can read");
        }
        throw new IllegalArgumentException("--tls-key " + file + ": no private key in it (expected PEM: -----BEGIN PRIVATE KEY-----)");
    }

    /** The key must be the one the certificate was issued for, else every handshake would fail later, far from the cause. */
    private static void checkMatch(PrivateKey key, X509Certificate cert, Path keyFile) {
        PublicKey pub = cert.getPublicKey();
        String subject = cert.getSubjectX500Principal().getName();
        String prefix = "--tls-key does not match the certificate in --tls-cert (";
        String keyAlg = family(key.getAlgorithm());
        if (!keyAlg.equals(family(pub.getAlgorithm()))) {
            throw new IllegalArgumentException(prefix + keyFile.getFileName() + " is an " + keyAlg + " key, the certificate for "
                    + subject + " has an " + family(pub.getAlgorithm()) + " public key)");
        }
        boolean same;
        if (key instanceof RSAKey rk && pub instanceof RSAKey rp) {
            same = rk.getModulus().equals(rp.getModulus());
        } else {
            same = signsForTheSameKey(key, pub);
        }
        if (!same) {
            throw new IllegalArgumentException(prefix + keyFile.getFileName() + " is another " + keyAlg
                    + " key than the one the certificate for " + subject + " was issued to)");
        }
    }

    private static boolean signsForTheSameKey(PrivateKey key, PublicKey pub) {
        String algorithm = switch (family(key.getAlgorithm())) {
            case "EC" -> "SHA256withECDSA";
            case "EdDSA" -> "EdDSA";
            default -> null;
        };
        if (algorithm == null) return true;                          // no cheap check: the handshake will tell
        try {
            byte[] probe = "loomframe key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(pub);
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static String family(String algorithm) {
        return switch (algorithm) {
            case "RSA", "RSASSA-PSS" -> "RSA";
            case "EC" -> "EC";
            case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
            default -> algorithm;
        };
    }

    private static String read(Path file, String flag) {
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(flag + " " + file + ": no such file");
        } catch (IOException | OutOfMemoryError e) {
            throw new IllegalArgumentException(flag + " " + file + ": cannot read it: " + e);
        }
    }

    private static byte[] base64(String body, String flag, Path file) {
        try {
            return Base64.getMimeDecoder().decode(body);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + " " + file + ": broken PEM (" + e.getMessage() + ")", e);
        }
    }

    /** Accepts any certificate: {@code --tls-insecure}, for tests against servers with throw-away certificates. */
    private static final class TrustAnything extends X509ExtendedTrustManager {
        @Override public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket s) {}
        @Override public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket s) {}
        @Override public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine e) {}
        @Override public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine e) {}
        @Override public void checkClientTrusted(X509Certificate[] chain, String authType) {}
        @Override public void checkServerTrusted(X509Certificate[] chain, String authType) {}
        @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
    }
}
