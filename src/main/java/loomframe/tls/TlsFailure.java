package loomframe.tls;

import javax.net.ssl.SSLException;

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
}
