package loomframe.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * The certificates of a TLS benchmark run, made fresh in a temporary folder with the JDK's own
 * {@code keytool} (the one beside the running java) and written as the PEM files {@code openssl}
 * writes: nothing is committed, so nothing expires, and no openssl command is needed.
 *
 * <pre>
 *   ca.pem          a throw-away CA (EC P-256), what the clients trust
 *   server.pem      the server's chain: its certificate for localhost and 127.0.0.1, then the CA's
 *   server-key.pem  its EC P-256 key, unencrypted PKCS#8 ("BEGIN PRIVATE KEY")
 * </pre>
 * Every server takes the pair the same way: {@code --tls-cert server.pem --tls-key server-key.pem}.
 */
final class BenchTls {
    private static final String PASSWORD = "changeit";

    private final Path dir;
    private TrustManager[] trust;

    private BenchTls(Path dir) {
        this.dir = dir;
    }

    /** Makes the CA and the server's certificate. */
    static BenchTls make() throws IOException {
        Path d = Files.createTempDirectory("loomframe-bench-tls-");
        d.toFile().deleteOnExit();
        Path store = d.resolve("all.p12");
        keytool(store, "-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=loomframe bench CA",
                "-ext", "bc:c", "-validity", "2");
        keytool(store, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "san=dns:localhost,ip:127.0.0.1", "-signer", "ca", "-validity", "2");
        try (InputStream in = Files.newInputStream(store)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, PASSWORD.toCharArray());
            Certificate ca = ks.getCertificate("ca");
            List<String> chain = new ArrayList<>();
            for (Certificate c : ks.getCertificateChain("server")) chain.add(pem("CERTIFICATE", c.getEncoded()));
            if (chain.size() == 1) chain.add(pem("CERTIFICATE", ca.getEncoded()));
            write(d.resolve("ca.pem"), pem("CERTIFICATE", ca.getEncoded()));
            write(d.resolve("server.pem"), String.join("", chain));
            write(d.resolve("server-key.pem"), pem("PRIVATE KEY", ks.getKey("server", PASSWORD.toCharArray()).getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the certificates keytool made: " + e, e);
        }
        Files.delete(store);
        for (String f : List.of("ca.pem", "server.pem", "server-key.pem")) d.resolve(f).toFile().deleteOnExit();
        return new BenchTls(d);
    }

    /** The CA the clients trust. */
    Path ca() {
        return dir.resolve("ca.pem");
    }

    /** The flags every server under test takes: {@code --tls-cert server.pem --tls-key server-key.pem}. */
    List<String> serverArgs() {
        return List.of("--tls-cert", dir.resolve("server.pem").toString(), "--tls-key", dir.resolve("server-key.pem").toString());
    }

    /**
     * A new JDK client context trusting the CA, for the Java clients (IdleConnections). New each
     * time: a context keeps the sessions of its connections and would resume them; one per
     * connection makes every handshake a full one, as the native generator's are.
     */
    SSLContext clientContext() throws IOException {
        try {
            if (trust == null) {
                try (InputStream in = Files.newInputStream(ca())) {
                    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
                    store.load(null, null);
                    store.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
                    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                    tmf.init(store);
                    trust = tmf.getTrustManagers();
                }
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust, new SecureRandom());
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot trust " + ca() + ": " + e, e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static void write(Path p, String text) throws IOException {
        Files.writeString(p, text, StandardCharsets.US_ASCII);
    }

    private static void keytool(Path store, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(Harness.java()).resolveSibling("keytool").toString()));
        command.addAll(List.of(args));
        command.addAll(List.of("-keystore", store.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD, "-storetype", "PKCS12"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("keytool " + String.join(" ", args) + " failed: " + new String(out, StandardCharsets.UTF_8));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
