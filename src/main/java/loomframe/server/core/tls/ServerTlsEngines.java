package loomframe.server.core.tls;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import loomframe.server.Impl;
import loomframe.server.ServerConfig;
import loomframe.server.ServerTls;
import loomframe.tls.TlsBuffers;
import loomframe.tls.TlsEngine;

/**
 * One server's TLS: the parameters every connection's engine gets (protocols, client
 * certificates) and the buffers its records pass through, shared by all its connections.
 */
public final class ServerTlsEngines {
    private final ServerTls tls;
    private final SSLParameters parameters;
    private final TlsBuffers buffers;

    private ServerTlsEngines(ServerTls tls, Impl impl) {
        this.tls = tls;
        SSLEngine probe = tls.context().createSSLEngine();
        this.parameters = tls.context().getDefaultSSLParameters();
        parameters.setProtocols(tls.protocolsInEffect().toArray(new String[0]));
        if (tls.clientAuth() == ServerTls.ClientAuth.REQUIRED) parameters.setNeedClientAuth(true);
        // Platform threads would each keep a direct copy of heap buffers for the connection's life (TlsBuffers).
        this.buffers = new TlsBuffers(probe.getSession().getPacketBufferSize(), impl == Impl.PLATFORM);
    }

    /** The server's TLS, or null when it serves plain TCP. */
    public static ServerTlsEngines of(ServerConfig config) {
        return config.hasTls() ? new ServerTlsEngines(config.tls(), config.impl()) : null;
    }

    /** A server-side engine and its buffers for one new connection; the handshake begins on first use. */
    public TlsEngine newEngine() {
        SSLEngine engine = tls.context().createSSLEngine();
        engine.setUseClientMode(false);
        engine.setSSLParameters(parameters);
        return new TlsEngine(engine, buffers);
    }

    /** The buffer pool (tests). */
    public TlsBuffers buffers() {
        return buffers;
    }
}
