package loomframe.tls;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * How a client speaks TLS to a server: the context (what it trusts, what it presents), the name it
 * expects the server's certificate to carry and sends as SNI, and whether it checks that name.
 * TLS 1.3 and 1.2 only, with the JDK's default cipher suites.
 *
 * @param context    trust and, for mutual TLS, the client's own certificate
 * @param serverName the name to verify and to send as SNI (a host name or an IP address)
 * @param verify     whether the server's certificate must carry {@code serverName}; false only for
 *                   {@code --tls-insecure}, whose context trusts anything anyway
 */
public record ClientTls(SSLContext context, String serverName, boolean verify) {
    /** The protocols loomframe speaks, newest first. */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    public ClientTls {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(serverName, "serverName");
    }

    /** An engine for one connection to {@code port}, in client mode, with {@link #parameters()}. */
    public SSLEngine newEngine(int port) {
        SSLEngine engine = context.createSSLEngine(serverName, port);
        engine.setUseClientMode(true);
        engine.setSSLParameters(parameters());
        return engine;
    }

    /** TLS 1.3 and 1.2, the server name checked (as HTTPS does) and sent as SNI unless it is an IP address. */
    public SSLParameters parameters() {
        SSLParameters p = context.getDefaultSSLParameters();
        p.setProtocols(protocolsIn(context.getSupportedSSLParameters().getProtocols(), PROTOCOLS));
        if (verify) p.setEndpointIdentificationAlgorithm("HTTPS");
        if (!isIpAddress(serverName)) p.setServerNames(List.of(new SNIHostName(serverName)));
        return p;
    }

    /** {@code wanted} in its order, as far as {@code supported} has them. */
    public static String[] protocolsIn(String[] supported, List<String> wanted) {
        List<String> in = new ArrayList<>();
        for (String w : wanted) if (List.of(supported).contains(w)) in.add(w);
        if (in.isEmpty()) throw new IllegalArgumentException("this JDK supports none of " + wanted);
        return in.toArray(new String[0]);
    }

    static boolean isIpAddress(String name) {
        return name.indexOf(':') >= 0 || name.matches("[0-9.]+");
    }
}
