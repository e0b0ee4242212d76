package loomframe.server;

import java.net.InetSocketAddress;

/**
 * A running loomframe server. Start one with {@code loomframe.Loomframe.start(config)}, which picks
 * the implementation named by {@link ServerConfig#impl()}; it accepts connections until
 * {@link #close()}, which stops accepting at once, lets each connection finish the frame it is in
 * and flush its replies, and closes what is left after the shutdown timeout.
 *
 * <pre>{@code
 * try (Server server = Loomframe.start(ServerConfig.builder().port(0).build())) {
 *     int port = server.port();
 *     ...
 * }
 * }</pre>
 */
public interface Server extends AutoCloseable {

    /** Where a server is in its life. */
    enum State {
        /** Accepting and serving connections. */
        SERVING,
        /** {@link #close()} has begun: no longer accepting; connections finish their frames. */
        DRAINING,
        /** Every connection has ended. */
        TERMINATED
    }

    ServerConfig config();

    /** The bound address, with the real port when started with port 0. */
    InetSocketAddress address();

    default int port() {
        return address().getPort();
    }

    /** Live counters. */
    ServerStats stats();

    /** Serving, draining (shutdown has begun: a health check should fail) or terminated. */
    State state();

    /** Graceful shutdown, bounded by the config's shutdown timeout. Idempotent; safe from any thread. */
    @Override
    void close();

    /** Blocks until the server has been closed and every connection has ended. */
    void awaitTermination() throws InterruptedException;
}
