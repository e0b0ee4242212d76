package loomframe.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * A handler's backend could not be reached, failed or stalled. Thrown (or completing a stage) by a
 * handler, it closes the client's connection — counted as {@code backend}, with one log line that
 * names the client, the backend and what happened — and the server goes on serving.
 */
public class BackendException extends IOException {
    private final SocketAddress backend;

    public BackendException(SocketAddress backend, String what, Throwable cause) {
        super("backend " + describe(backend) + " " + what + (cause == null ? "" : ": " + cause.getMessage()), cause);
        this.backend = backend;
    }

    public SocketAddress backend() {
        return backend;
    }

    private static String describe(SocketAddress a) {
        if (a instanceof InetSocketAddress i) {
            String host = i.getAddress() != null ? i.getAddress().getHostAddress() : i.getHostString();
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + i.getPort();
        }
        return String.valueOf(a);
    }
}
