package loomframe;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import loomframe.server.ServerTls;
import loomframe.tls.ClientTls;
import loomframe.tls.TlsFiles;

/**
 * A throw-away CA and certificates for TLS tests, made once per test JVM with the JDK's own
 * {@code keytool} (the one next to the running java) and written as the PEM files openssl makes:
 * nothing is committed, so nothing expires.
 *
 * <ul>
 *   <li>{@code ca.pem}: the CA every good certificate is signed by;</li>
 *   <li>{@code server.pem} + {@code server-key.pem}: EC, for localhost and 127.0.0.1, chain with the CA;</li>
 *   <li>{@code server-rsa.pem} + {@code server-rsa-key.pem}: the same with an RSA key;</li>
 *   <li>{@code client.pem} + {@code client-key.pem}: a client certificate signed by the CA;</li>
 *   <li>{@code rogue.pem} + {@code rogue-key.pem}: self-signed, trusted by nobody.</li>
 * </ul>
 */
public final class TestTls {
    private static final String PASSWORD = "changeit";
    private static Path dir;

    private TestTls() {}

    /** The folder holding the PEM files, made on first use. */
    public static synchronized Path dir() {
        if (dir == null) dir = make();
        return dir;
    }

    public static Path file(String name) {
        return dir().resolve(name);
    }

    /** A server context with the EC certificate; with {@code clientCa}, clients must present a certificate signed by the CA. */
    public static ServerTls server(boolean requireClientCertificate, String... protocols) {
        SSLContext context = TlsFiles.serverContext(file("server.pem"), file("server-key.pem"),
                requireClientCertificate ? file("ca.pem") : null);
        return new ServerTls(context, requireClientCertificate ? ServerTls.ClientAuth.REQUIRED : ServerTls.ClientAuth.NONE,
                protocols.length == 0 ? ServerTls.PROTOCOLS : List.of(protocols));
    }

    /** A client trusting the CA, verifying 127.0.0.1; with {@code certificate}, presenting the client certificate. */
    public static ClientTls client(boolean certificate) {
        return new ClientTls(TlsFiles.clientContext(file("ca.pem"), certificate ? file("client.pem") : null,
                certificate ? file("client-key.pem") : null, false), "127.0.0.1", true);
    }

    private static Path make() {
        try {
            Path d = Files.createTempDirectory("loomframe-tls-");
            d.toFile().deleteOnExit();
            Path store = d.resolve("all.p12");
            keytool(store, "-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=loomframe test CA",
                    "-ext", "bc:c", "-validity", "2");
            keytool(store, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                    "-ext", "san=dns:localhost,ip:127.0.0.1", "-signer", "ca", "-validity", "2");
            keytool(store, "-genkeypair", "-alias", "server-rsa", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=localhost",
                    "-ext", "san=dns:localhost,ip:127.0.0.1", "-signer", "ca", "-validity", "2");
            keytool(store, "-genkeypair", "-alias", "client", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=test client",
                    "-signer", "ca", "-validity", "2");
            keytool(store, "-genkeypair", "-alias", "rogue", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                    "-ext", "san=dns:localhost,ip:127.0.0.1", "-validity", "2");
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                ks.load(in, PASSWORD.toCharArray());
            }
            Certificate ca = ks.getCertificate("ca");
            write(d.resolve("ca.pem"), pem("CERTIFICATE", ca.getEncoded()));
            for (String alias : List.of("server", "server-rsa", "client", "rogue")) {
                List<String> chain = new ArrayList<>();
                for (Certificate c : ks.getCertificateChain(alias)) chain.add(pem("CERTIFICATE", c.getEncoded()));
                if (chain.size() == 1 && !alias.equals("rogue")) chain.add(pem("CERTIFICATE", ca.getEncoded()));
                write(d.resolve(alias + ".pem"), String.join("", chain));
                Key key = ks.getKey(alias, PASSWORD.toCharArray());
                write(d.resolve(alias + "-key.pem"), pem("PRIVATE KEY", key.getEncoded()));   // PKCS#8, as openssl writes it
            }
            return d;
        } catch (Exception e) {
            throw new IllegalStateException("could not make the test certificates: " + e, e);
        }
    }

    public static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static void write(Path p, String text) throws IOException {
        Files.writeString(p, text, StandardCharsets.US_ASCII);
    }

    private static void keytool(Path store, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        command.addAll(List.of("-keystore", store.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD, "-storetype", "PKCS12"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool " + String.join(" ", args) + " failed: " + new String(out, StandardCharsets.UTF_8));
        }
    }
}
