package loomframe.bench;

import java.time.Duration;
import java.util.Locale;
import loomframe.frame.FrameFormat;
import loomframe.server.FrameHandler;
import loomframe.server.Impl;
import loomframe.server.Server;
import loomframe.server.ServerConfig;

/**
 * One of the four servers the benchmarks compare, started in this JVM on 127.0.0.1 and a free port:
 * {@code blocking}, {@code async}, {@code platform} (loomframe, through its public
 * {@link Server#start} API with the echo handler and default format) or {@code netty}
 * ({@link NettyReferenceServer}).
 *
 * <p>loomframe runs with its defaults except {@code idleTimeout(0)}: between JMH iterations the
 * connections sit idle and must not be closed by the server.
 */
public abstract sealed class ServerUnderTest implements AutoCloseable {

    public static final String[] IMPLS = {"blocking", "async", "platform", "netty"};

    public abstract int port();

    /** Frames the server has received so far (its own counter). */
    public abstract long frames();

    /** Connections the server has open now. */
    public abstract int openConnections();

    /** A short description for logs: impl and transport. */
    public abstract String describe();

    @Override
    public abstract void close();

    public static ServerUnderTest start(String impl) throws Exception {
        String name = impl.toLowerCase(Locale.ROOT);
        if (name.equals("netty")) return new Netty(NettyReferenceServer.start(0));
        Impl which = switch (name) {
            case "blocking" -> Impl.BLOCKING;
            case "async" -> Impl.ASYNC;
            case "platform" -> Impl.PLATFORM;
            default -> throw new IllegalArgumentException("impl must be blocking, async, platform or netty, got " + impl);
        };
        ServerConfig config = ServerConfig.builder()
                .impl(which)
                .port(0)
                .handler(FrameHandler.echo())
                .format(FrameFormat.DEFAULT)
                .idleTimeout(Duration.ZERO)
                .build();
        return new Loomframe(Server.start(config), name);
    }

    static final class Loomframe extends ServerUnderTest {
        private final Server server;
        private final String name;

        Loomframe(Server server, String name) {
            this.server = server;
            this.name = name;
        }

        @Override public int port() { return server.port(); }
        @Override public long frames() { return server.stats().frames(); }
        @Override public int openConnections() { return server.stats().openConnections(); }
        @Override public String describe() { return "loomframe " + name; }
        @Override public void close() { server.close(); }
    }

    static final class Netty extends ServerUnderTest {
        private final NettyReferenceServer server;

        Netty(NettyReferenceServer server) {
            this.server = server;
        }

        @Override public int port() { return server.port(); }
        @Override public long frames() { return server.frames(); }
        @Override public int openConnections() { return server.openConnections(); }
        @Override public String describe() { return "netty " + server.transport(); }
        @Override public void close() { server.close(); }
    }
}
