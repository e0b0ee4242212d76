package loomframe.server.async;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.AsynchronousChannelGroup;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.CompletionHandler;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import loomframe.server.Server;
import loomframe.server.ServerConfig;
import loomframe.server.ServerCore;

/**
 * Accepts connections with NIO.2 and serves each with an {@link AsyncConnection}.
 *
 * <p>The channel group is chosen deliberately: a fixed pool of one thread per core. With a fixed
 * pool the JDK runs completion handlers directly on the threads that poll the kernel, and a read
 * issued from a handler is tried at once instead of going through the poller when the data is
 * already there. The default group (a cached pool fed by separate poller threads) hands every
 * completion from one thread to another.
 */
public final class AsyncServer extends ServerCore {
    private static final int BACKLOG = 4096;

    private final AsynchronousChannelGroup group;
    private final AsynchronousServerSocketChannel listener;

    public static Server start(ServerConfig config) throws IOException {
        return new AsyncServer(config);
    }

    private AsyncServer(ServerConfig config) throws IOException {
        super(config, "loomframe-async");
        // tag::async-group[]
        var threadNumber = new AtomicInteger();
        this.group = AsynchronousChannelGroup.withFixedThreadPool(
                Runtime.getRuntime().availableProcessors(),
                r -> Thread.ofPlatform().name("loomframe-async-" + threadNumber.incrementAndGet()).daemon().unstarted(r));
        // end::async-group[]
        try {
            this.listener = AsynchronousServerSocketChannel.open(group)
                    .bind(new InetSocketAddress(config.host(), config.port()), BACKLOG);
        } catch (IOException e) {
            group.shutdownNow();
            throw e;
        }
        bound(listener.getLocalAddress());
        acceptNext();
    }

    private void acceptNext() {
        listener.accept(null, onAccepted);
    }

    // tag::async-accept[]
    private final CompletionHandler<AsynchronousSocketChannel, Void> onAccepted = new CompletionHandler<>() {
        @Override
        public void completed(AsynchronousSocketChannel channel, Void unused) {
            acceptNext();                                  // keep accepting while this one starts
            if (!admit()) {                                // over --max-connections
                closeQuietly(channel);
                return;
            }
            AsyncConnection connection = null;
            try {
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                connection = new AsyncConnection(channel, AsyncServer.this, channel.getRemoteAddress());
                register(connection);
                connection.start();
            } catch (IOException | RuntimeException e) {   // one failed socket never stops accepting
                log.log(Level.DEBUG, "accept", "could not start a connection: " + e, e);
                closeQuietly(channel);
                if (connection != null) unregister(connection, "start-failed"); else releaseSlot();
            }
        }

        @Override
        public void failed(Throwable e, Void unused) {
            if (e instanceof AsynchronousCloseException || e instanceof ClosedChannelException || isClosing()) {
                return;                                    // close(): stop accepting
            }
            log.log(Level.WARNING, "accept", "accept failed: " + e.getMessage(), e);
            // e.g. out of file descriptors: back off instead of spinning
            CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS).execute(AsyncServer.this::acceptNext);
        }
    };
    // end::async-accept[]

    void ended(AsyncConnection connection, String reason) {
        unregister(connection, reason);
    }

    @Override
    protected void stopAccepting() {
        closeQuietly(listener);
    }

    @Override
    protected void released() {
        try {
            group.shutdownNow();
        } catch (IOException e) {
            log.log(Level.DEBUG, "shutdown", "closing the channel group: " + e, e);
        }
    }
}
