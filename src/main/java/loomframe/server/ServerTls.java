package loomframe.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * TLS for a server: every connection begins with a handshake, and every framing rule then holds
 * over it unchanged. The program supplies the {@link SSLContext} (its certificate and key, and
 * for mutual TLS the CAs it trusts for client certificates); {@code loomframe.tls.TlsFiles} makes
 * one from PEM files, as {@code serve --tls-cert --tls-key} does.
 *
 * @param context    the server's certificate and key, and trust for client certificates
 * @param clientAuth whether clients must present a certificate the context trusts
 * @param protocols  what to offer, a non-empty subset of {@link #PROTOCOLS} (TLS 1.3 and 1.2 only)
 */
public record ServerTls(SSLContext context, ClientAuth clientAuth, List<String> protocols) {
    /** The protocols a loomframe server may speak, newest first. */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /** Whether the handshake asks for a client certificate. */
    public enum ClientAuth {
        /** No client certificate is asked for. */
        NONE,
        /** A client without a certificate the context trusts fails the handshake (mutual TLS). */
        REQUIRED
    }

    public ServerTls {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(clientAuth, "clientAuth");
        protocols = List.copyOf(protocols);
        if (protocols.isEmpty() || !PROTOCOLS.containsAll(protocols)) {
            throw new IllegalArgumentException("TLS protocols must be among " + PROTOCOLS + ", got " + protocols);
        }
    }

    /** TLS 1.3 and 1.2 with this context, client certificates as {@code clientAuth} says. */
    public static ServerTls of(SSLContext context, ClientAuth clientAuth) {
        return new ServerTls(context, clientAuth, PROTOCOLS);
    }

    /** The protocols offered: {@link #protocols()} as far as the context supports them. */
    public List<String> protocolsInEffect() {
        List<String> supported = List.of(context.getSupportedSSLParameters().getProtocols());
        List<String> in = new ArrayList<>();
        for (String p : protocols) if (supported.contains(p)) in.add(p);
        return in;
    }
}
