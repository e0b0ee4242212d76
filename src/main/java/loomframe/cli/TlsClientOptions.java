package loomframe.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import loomframe.tls.ClientTls;
import loomframe.tls.TlsFiles;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The TLS flags of {@code send} and {@code load}. Any of them turns TLS on. */
final class TlsClientOptions {

    @Option(names = "--tls", description = "Speak TLS (1.3 or 1.2), verifying the server against the JDK's default trust store.")
    boolean tls;

    @Option(names = "--tls-ca", paramLabel = "FILE", description = "Trust the CA certificates in this PEM file instead of the default trust store.")
    Path ca;

    @Mixin
    TlsCertificateOptions certificate;                    // presented to a server that asks for one

    @Option(names = "--tls-server-name", paramLabel = "NAME",
            description = "The name the server's certificate must carry, also sent as SNI (default: --host).")
    String serverName;

    @Option(names = "--tls-insecure", description = "Accept any server certificate (prints a warning each run): for throw-away test servers only.")
    boolean insecure;

    /**
     * The client's TLS, or null for plain TCP.
     *
     * @throws IllegalArgumentException a usage error, one line
     */
    ClientTls clientTls(String host, PrintWriter err) {
        if (!tls && ca == null && !certificate.given() && serverName == null && !insecure) return null;
        certificate.check();
        if (insecure && ca != null) throw new IllegalArgumentException("--tls-insecure and --tls-ca contradict each other: trust anything, or trust those CAs");
        var context = TlsFiles.clientContext(ca, certificate.cert, certificate.key, insecure);
        if (insecure) {
            err.println("loomframe: warning: --tls-insecure: the server's certificate is not checked; anyone between here "
                    + "and the server can read and change the frames");
            err.flush();
        }
        return new ClientTls(context, serverName != null ? serverName : host, !insecure);
    }
}
