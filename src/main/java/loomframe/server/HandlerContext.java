package loomframe.server;

import java.net.SocketAddress;
import java.nio.channels.AsynchronousChannelGroup;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What a handler may know about the connection it serves, and use from the server, when it is
 * {@linkplain FrameHandler#open opened} for that connection.
 */
public interface HandlerContext {

    /** The client's address. */
    SocketAddress peer();

    /** The implementation serving the connection: a handler may choose its blocking or asynchronous way by it. */
    Impl impl();

    /** The server's {@code --idle-timeout}: how long a handler may let a backend stall ({@link Duration#ZERO}: no limit). */
    Duration idleTimeout();

    /**
     * The async server's channel group, so that a handler's own channels (a backend connection)
     * complete on the same threads as the connection it serves — as Netty's client bootstrap takes
     * the event loop of the channel it serves. Empty on the blocking servers.
     */
    Optional<AsynchronousChannelGroup> channelGroup();

    /** A server-wide timer for asynchronous handlers (a delay, a backend timeout). Tasks must be short. */
    ScheduledExecutorService scheduler();
}
