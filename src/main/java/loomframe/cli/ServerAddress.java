package loomframe.cli;

import picocli.CommandLine.Option;

/** {@code --host} and {@code --port} of the server a client command talks to. */
final class ServerAddress {

    @Option(names = "--host", paramLabel = "H", defaultValue = "127.0.0.1", description = "Server host (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", paramLabel = "P", defaultValue = "7777", description = "Server port (default: ${DEFAULT-VALUE}).")
    int port;

    /** The port's usage error, or null when it is valid. */
    String problem() {
        return port < 1 || port > 65535 ? "--port must be 1..65535, got " + port : null;
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
