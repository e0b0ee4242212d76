package loomframe.tls;

import java.util.Locale;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * TLS failed on one connection, with a message that says why in the peer's terms
 * ({@code handshake failed: plaintext on a TLS port? first bytes 00 00 00 05}) rather than the
 * engine's. An {@link SSLException}, so whoever sorts failures by type finds it with the rest.
 */
public final class TlsFailure extends SSLException {
    private static final long serialVersionUID = 1L;
    private final boolean duringHandshake;

    TlsFailure(String message, boolean duringHandshake, Throwable cause) {
        super(message, cause);
        this.duringHandshake = duringHandshake;
    }

    /** Whether the handshake had not finished: the peer never got to send a frame. */
    public boolean duringHandshake() {
        return duringHandshake;
    }

    /** A client's failed handshake (an {@code SSLSocket}'s), explained as {@link TlsEngine} explains its own. */
    public static TlsFailure ofClientHandshake(SSLException e, ClientTls tls) {
        String[] protocols = tls.parameters().getProtocols();
        return new TlsFailure("handshake failed: " + explain(e, false, tls.serverName(), protocols), true, e);
    }

    /**
     * The JDK's exception in the peer's terms: who refused what, and which flag changes it.
     *
     * @param serverSide whether this side is the server (the peer is then "the client")
     */
    static String explain(Throwable e, boolean serverSide, String peerHost, String[] enabledProtocols) {
        String m = String.valueOf(e.getMessage());
        String lower = m.toLowerCase(Locale.ROOT);
        String peer = serverSide ? "client" : "server";
        int alert = lower.indexOf("received fatal alert: ");
        if (alert >= 0) {
            String name = m.substring(alert + "received fatal alert: ".length()).trim();
            boolean aboutCertificates = name.equals("certificate_unknown") || name.equals("bad_certificate") || name.equals("unknown_ca");
            if (serverSide && aboutCertificates) {
                return "the client does not trust the server's certificate (alert " + name + " from the client)";
            }
            if (!serverSide && name.equals("certificate_required")) {
                return "the server requires a client certificate (alert certificate_required): give one with --tls-cert and --tls-key";
            }
            if (!serverSide && aboutCertificates) {
                return "the server refused the client certificate (alert " + name + " from the server)";
            }
            return "the " + peer + " sent alert " + name;
        }
        if (serverSide && lower.contains("empty client certificate chain")) {
            // A JDK client sends none when it has none signed by a CA the server named, so this covers both.
            return "the client sent no certificate signed by a CA this server trusts (--tls-client-ca), and it requires one";
        }
        if (e instanceof SSLHandshakeException && (lower.contains("pkix") || lower.contains("certpath")
                || lower.contains("unable to find valid certification path"))) {
            return serverSide ? "the client's certificate is not signed by a trusted CA (--tls-client-ca): " + rootMessage(e)
                    : "the server's certificate is not signed by a trusted CA (--tls-ca, or the JDK's trust store): " + rootMessage(e);
        }
        if (lower.contains("no subject alternative") || lower.contains("no name matching")) {
            return "the server's certificate is not for " + peerHost + " (--tls-server-name): " + m;
        }
        if (lower.contains("protocol") && (lower.contains("version") || lower.contains("no appropriate"))) {
            return "no protocol in common (this side offers " + String.join(", ", enabledProtocols) + "): " + m;
        }
        if (lower.contains("unsupported or unrecognized ssl message") && !serverSide) {
            return "the server does not speak TLS (is it started with --tls-cert and --tls-key?): " + m;
        }
        return m;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return String.valueOf(t.getMessage());
    }
}
