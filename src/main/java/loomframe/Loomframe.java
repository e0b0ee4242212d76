package loomframe;

import java.io.IOException;
import loomframe.server.Server;
import loomframe.server.ServerConfig;
import loomframe.server.async.AsyncServer;
import loomframe.server.blocking.BlockingServer;

/**
 * Starts a loomframe server: the one place that picks an implementation.
 *
 * <pre>{@code
 * Server server = Loomframe.start(ServerConfig.builder().impl(Impl.ASYNC).port(0).build());
 * }</pre>
 *
 * <p>It sits above the packages it chooses between, so that none of them depends on another:
 * {@code loomframe.server} (the API) knows no implementation, and {@code loomframe.server.blocking}
 * and {@code loomframe.server.async} know each other not at all — like Netty's bootstrap, which
 * takes the transport from its caller.
 */
public final class Loomframe {
    private Loomframe() {}

    /**
     * Binds and starts accepting with the implementation {@link ServerConfig#impl()} names;
     * returns once connections can be made.
     *
     * @throws IOException if the address cannot be bound (in use, not local)
     * @throws IllegalArgumentException if the config cannot run in this JVM (its memory bound
     *         does not fit the direct memory allowed)
     */
    public static Server start(ServerConfig config) throws IOException {
        return switch (config.impl()) {
            case BLOCKING, PLATFORM -> BlockingServer.start(config);
            case ASYNC -> AsyncServer.start(config);
        };
    }
}
