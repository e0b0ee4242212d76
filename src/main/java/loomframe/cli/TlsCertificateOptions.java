package loomframe.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --tls-cert} and {@code --tls-key}: this side's certificate chain and its key, on the server and the clients alike. */
final class TlsCertificateOptions {

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "This side's certificate chain (PEM, its own certificate first); needs --tls-key.")
    Path cert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "The private key of --tls-cert (unencrypted PKCS#8 PEM, BEGIN PRIVATE KEY; RSA or EC).")
    Path key;

    /** Whether either was given. */
    boolean given() {
        return cert != null || key != null;
    }

    /**
     * Both or neither.
     *
     * @throws IllegalArgumentException one without the other, a usage error
     */
    void check() {
        if (key != null && cert == null) throw new IllegalArgumentException("--tls-key needs --tls-cert (the certificate chain of that key)");
        if (cert != null && key == null) throw new IllegalArgumentException("--tls-cert needs --tls-key (the private key of that certificate)");
    }
}
