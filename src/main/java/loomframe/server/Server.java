package loomframe.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import loomframe.server.async.AsyncServer;
import loomframe.server.blocking.BlockingServer;

/**
 * A running loomframe server. Start one with {@link #start(ServerConfig)}; it accepts connections
 * until {@link #close()}, which stops accepting at once, lets each connection finish the frame it
 * is in and flush its replies, and closes what is left after the shutdown timeout.
 *
 * <pre>{@code
 * try (Server server = Server.start(ServerConfig.builder().port(0).build())) {
 *     int port = server.port();
 *     ...
 * }
 * }</pre>
 */
public interface Server extends AutoCloseable {

    /** Binds and starts accepting; returns once connections can be made. */
    static Server start(ServerConfig config) throws IOException {
        return switch (config.impl()) {
            case BLOCKING -> BlockingServer.onVirtualThreads(config);
            case PLATFORM -> BlockingServer.onPlatformThreads(config);
            case ASYNC -> AsyncServer.start(config);
        };
    }

    ServerConfig config();

    /** The bound address, with the real port when started with port 0. */
    InetSocketAddress address();

    default int port() {
        return address().getPort();
    }

    /** Live counters. */
    ServerStats stats();

    /** Graceful shutdown, bounded by the config's shutdown timeout. Idempotent. */
    @Override
    void close();

    /** Blocks until the server has been closed and every connection has ended. */
    void awaitTermination() throws InterruptedException;
}
